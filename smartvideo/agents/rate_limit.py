"""Per-key rate limits for agent pushes, on Flask-Limiter.

One Limiter per Flask app (its storage belongs to the app): Redis when the deployment has one
(`config.lock_redis_url`), so every web worker shares one count per key; memory otherwise (one
process, a laptop). The limit is applied inside the view, after authentication, keyed by the
agent's key id: a stranger without a key gets a 401 and never spends an agent's allowance.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import flask
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from limits import parse_many

DEFAULT_RATE = "30/minute;1000/day"  # far above one agent's calls; stops a leaked key's loop
KEY_PREFIX = "smartvideo-agents"

__all__ = ["AgentRateLimit", "RateLimitExceeded", "agent_rate_limit"]


@dataclass(frozen=True)
class AgentRateLimit:
    limiter: Limiter
    rate: str
    storage: str  # "redis" | "memory", for /healthz-style reporting

    def check(self, key_id: str) -> None:
        """Count one push for key_id; RateLimitExceeded when over the limit."""
        with self.limiter.limit(self.rate, key_func=lambda: f"key:{key_id}", scope="push"):
            pass


def agent_rate_limit(app: flask.Flask, redis_url: str = "") -> AgentRateLimit:
    """Build and attach the app's agent limiter (call once per app, at setup)."""
    rate = str(
        app.config.get("SMARTVIDEO_AGENT_RATE_LIMIT")
        or os.environ.get("SMARTVIDEO_AGENT_RATE_LIMIT")
        or DEFAULT_RATE
    )
    parse_many(rate)  # a typo in the limit is a startup error, not a 500 at the first push
    storage = (
        redis_url if redis_url.startswith(("redis://", "rediss://", "unix://")) else "memory://"
    )
    limiter = Limiter(
        key_func=lambda: "anonymous",  # never used: every limit here passes its own key_func
        storage_uri=storage,
        storage_options={"socket_connect_timeout": 2} if storage != "memory://" else {},
        key_prefix=KEY_PREFIX,
        strategy="moving-window",  # no burst of 2x the limit across a window edge
        default_limits=[],
        headers_enabled=False,
        # Redis down must not stop agents sending videos: the push goes through and it is logged.
        swallow_errors=True,
    )
    limiter.init_app(app)
    return AgentRateLimit(
        limiter=limiter, rate=rate, storage="memory" if storage == "memory://" else "redis"
    )
