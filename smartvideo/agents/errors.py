"""What can go wrong when an agent pushes a video; the web and the CLI turn these into messages."""

from __future__ import annotations

from smartvideo.errors import SmartVideoError


class AgentError(SmartVideoError):
    """Base of the agent-area errors."""


class InvalidAgentKey(AgentError):
    """No key, a malformed key, an unknown key, a wrong secret or a revoked key (HTTP 401).

    One message for all of them: the answer never says which part of a key was right.
    """

    def __init__(self, message: str = "missing or invalid API key"):
        super().__init__(message)


class UnknownAgent(AgentError):
    """`agents revoke NAME` named no agent."""


class PushRejected(AgentError):
    """The push itself is wrong: unknown story, customer or variant, bad channel (HTTP 422)."""

    def __init__(self, reason: str, field: str | None = None):
        self.reason = reason
        self.field = field
        super().__init__(reason)
