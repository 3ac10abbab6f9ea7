"""What can go wrong making or delivering an invitation."""

from __future__ import annotations

from smartvideo.errors import SmartVideoError


class InvitationError(SmartVideoError):
    """An invitation cannot be made: no address for the channel, a template fails."""


class MissingContact(InvitationError):
    """The record has no email address (email) or phone number (sms)."""


class InvalidContact(MissingContact):
    """The address or number on file is not one (its value is kept to show it)."""

    def __init__(self, reason: str, value: str):
        super().__init__(reason)
        self.value = value


class SmsTooLong(InvitationError):
    """The SMS does not fit one message even in its compact form."""


class DeliveryFailed(InvitationError):
    """The SMTP server, SMS gateway or outbox folder refused or could not be reached.

    `transient` says whether trying again later may work (server down, 4xx SMTP reply, gateway
    5xx or 429) or not (recipient refused for good, gateway 4xx): the delivery queue retries
    only the first kind.
    """

    def __init__(self, reason: str, *, transient: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
