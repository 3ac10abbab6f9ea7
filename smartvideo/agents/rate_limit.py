"""Per-key rate limits for agent pushes, on the `limits` library (what Flask-Limiter is built on).

Redis when the deployment has one (`config.lock_redis_url`), so every web worker shares one count
per key; memory otherwise (one process, a laptop). The limit is applied inside the view, after
authentication, keyed by the agent's key id: a stranger without a key gets a 401 and never spends
an agent's allowance. No Flask hook is installed, so pages, polls and beacons pay nothing for it.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass

import flask
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from smartvideo.errors import SmartVideoError

DEFAULT_RATE = "30/minute;1000/day"  # far above one agent's calls; stops a leaked key's loop
KEY_PREFIX = "smartvideo-agents"
log = logging.getLogger(__name__)

__all__ = ["AgentRateLimit", "RateLimitExceeded", "agent_rate_limit"]


class RateLimitExceeded(SmartVideoError):
    """A key made more pushes than its limit allows; `retry_after` says when to try again."""

    def __init__(self, rate: str, retry_after: int):
        self.rate = rate
        self.retry_after = retry_after
        super().__init__(f"rate limit {rate} reached; try again in {retry_after} s")


@dataclass(frozen=True)
class AgentRateLimit:
    limiter: MovingWindowRateLimiter  # no burst of 2x the limit across a window edge
    items: tuple[RateLimitItem, ...]
    rate: str
    storage: str  # "redis" | "memory", for /healthz-style reporting

    def check(self, key_id: str) -> None:
        """Count one push for key_id; RateLimitExceeded when over any of the limits."""
        ids = (KEY_PREFIX, "push", f"key:{key_id}")
        try:
            for item in self.items:
                if not self.limiter.test(item, *ids):
                    reset, _remaining = self.limiter.get_window_stats(item, *ids)
                    raise RateLimitExceeded(self.rate, max(1, round(reset - time.time())))
            for item in self.items:
                self.limiter.hit(item, *ids)
        except RateLimitExceeded:
            raise
        except Exception as exc:  # noqa: BLE001 - Redis down must not stop agents sending videos
            log.warning("rate limit storage unavailable, push allowed: %s", type(exc).__name__)


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
    storage_options = {"socket_connect_timeout": 2} if storage != "memory://" else {}
    limiter = MovingWindowRateLimiter(storage_from_string(storage, **storage_options))
    return AgentRateLimit(limiter=limiter, items=tuple(parse_many(rate)), rate=rate,
                          storage="memory" if storage == "memory://" else "redis")
