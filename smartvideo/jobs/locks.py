"""Job locks: the claim (one job per key is queued or running) and the run lock (one worker at a time).

Scaled mode keeps them in Redis (SET NX with an expiry, so a dead worker's lock runs out); the
embedded runner keeps them in this process. Both offer the same calls, and keep the click's
context beside the claim (`remember`/`recall`), so a job taken over from a dead worker renders with
the click's location as the first would have.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol

CLAIM_PREFIX = "smartvideo:claim:"
RUN_PREFIX = "smartvideo:run:"
TAKEOVER_PREFIX = "smartvideo:takeover:"
CLICK_PREFIX = "smartvideo:click:"

# Release only when the lock still holds our token: a lock that ran out and was taken by
# another worker must not be deleted by the first one.
_RELEASE_IF_OWNER = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
"""
_REFRESH_IF_OWNER = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end
"""


class JobLocks(Protocol):
    def acquire(self, name: str, owner: str, ttl: float) -> bool: ...
    def refresh(self, name: str, owner: str, ttl: float) -> bool: ...
    def release(self, name: str, owner: str | None = None) -> None: ...
    def held(self, name: str) -> bool: ...
    def ping(self) -> bool: ...
    def remember(self, name: str, value: str, ttl: float) -> None: ...
    def recall(self, name: str) -> str | None: ...


class RedisJobLocks:
    """Locks in Redis, shared by every web process and worker."""

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._release = self.client.register_script(_RELEASE_IF_OWNER)
        self._refresh = self.client.register_script(_REFRESH_IF_OWNER)

    def acquire(self, name: str, owner: str, ttl: float) -> bool:
        return bool(self.client.set(name, owner, nx=True, px=int(ttl * 1000)))

    def refresh(self, name: str, owner: str, ttl: float) -> bool:
        return bool(self._refresh(keys=[name], args=[owner, int(ttl * 1000)]))

    def release(self, name: str, owner: str | None = None) -> None:
        if owner is None:
            self.client.delete(name)
        else:
            self._release(keys=[name], args=[owner])

    def held(self, name: str) -> bool:
        return bool(self.client.exists(name))

    def ping(self) -> bool:
        return bool(self.client.ping())

    def remember(self, name: str, value: str, ttl: float) -> None:
        self.client.set(name, value, px=int(ttl * 1000))

    def recall(self, name: str) -> str | None:
        value: Any = self.client.get(name)
        return None if value is None else bytes(value).decode()


class LocalJobLocks:
    """The same locks in one process (embedded mode: one server process, a thread pool)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[str, float]] = {}
        self._mutex = threading.Lock()

    def _live(self, name: str, now: float) -> tuple[str, float] | None:
        entry = self._locks.get(name)
        if entry and entry[1] <= now:
            del self._locks[name]
            return None
        return entry

    def acquire(self, name: str, owner: str, ttl: float) -> bool:
        with self._mutex:
            now = time.monotonic()
            if self._live(name, now):
                return False
            self._locks[name] = (owner, now + ttl)
            return True

    def refresh(self, name: str, owner: str, ttl: float) -> bool:
        with self._mutex:
            now = time.monotonic()
            entry = self._live(name, now)
            if not entry or entry[0] != owner:
                return False
            self._locks[name] = (owner, now + ttl)
            return True

    def release(self, name: str, owner: str | None = None) -> None:
        with self._mutex:
            entry = self._locks.get(name)
            if entry and (owner is None or entry[0] == owner):
                del self._locks[name]

    def held(self, name: str) -> bool:
        with self._mutex:
            return self._live(name, time.monotonic()) is not None

    def ping(self) -> bool:
        return True

    def remember(self, name: str, value: str, ttl: float) -> None:
        with self._mutex:
            self._locks[name] = (value, time.monotonic() + ttl)

    def recall(self, name: str) -> str | None:
        with self._mutex:
            entry = self._live(name, time.monotonic())
            return None if entry is None else entry[0]


def claim_name(key: str) -> str:
    return CLAIM_PREFIX + key


def run_lock_name(key: str) -> str:
    return RUN_PREFIX + key


def takeover_name(key: str) -> str:
    return TAKEOVER_PREFIX + key


def click_name(key: str) -> str:
    return CLICK_PREFIX + key
