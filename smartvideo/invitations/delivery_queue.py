"""The one retry policy for delivering invitations, and the call that applies it.

A send that fails for a transient reason (the SMTP server is down or answers 4xx, the SMS gateway
answers 5xx or 429, the network drops) is tried again after a growing pause; a final refusal
(recipient rejected, gateway 4xx) is not. Agent pushes and campaigns both deliver through
`deliver_with_retries`; a campaign runs it on a pool of sending threads (`campaigns/run.py`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from smartvideo.backoff import pause_after
from smartvideo.invitations.delivery import Receipt
from smartvideo.invitations.errors import DeliveryFailed, InvitationError


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`attempts` tries in all; the pause after the n-th failure is first_delay * factor**(n-1)."""

    # An agent waits on the page for the answer: 3 tries within about 2.5 s. A campaign's
    # customers that still fail are failed rows, done again by the next run.
    attempts: int = 3
    first_delay: float = 0.5
    factor: float = 4.0
    max_delay: float = 60.0

    def pause_after(self, failures: int) -> float:
        return pause_after(failures, self.first_delay, self.factor, self.max_delay)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RetryPolicy:
        """SMARTVIDEO_DELIVERY_ATTEMPTS (default 3), SMARTVIDEO_DELIVERY_BACKOFF (seconds, 0.5)."""
        env = os.environ if environ is None else environ
        default = cls()
        try:
            attempts = int(env.get("SMARTVIDEO_DELIVERY_ATTEMPTS") or default.attempts)
            first = float(env.get("SMARTVIDEO_DELIVERY_BACKOFF") or default.first_delay)
        except ValueError:
            raise InvitationError(
                "SMARTVIDEO_DELIVERY_ATTEMPTS must be a whole number and"
                " SMARTVIDEO_DELIVERY_BACKOFF a number of seconds"
            ) from None
        if attempts < 1 or first < 0:
            raise InvitationError("SMARTVIDEO_DELIVERY_ATTEMPTS must be 1 or more")
        return cls(attempts=attempts, first_delay=first)


@dataclass(frozen=True, slots=True)
class Delivered:
    receipt: Receipt
    attempts: int


class DeliveryGaveUp(DeliveryFailed):
    """The last try failed (or the failure was final); `attempts` says how many were made."""

    def __init__(self, reason: str, *, attempts: int, transient: bool):
        super().__init__(reason, transient=transient)
        self.attempts = attempts


def deliver_with_retries(
    send: Callable[[], Receipt],
    policy: RetryPolicy,
    *,
    stop: threading.Event | None = None,
) -> Delivered:
    """Call send until it works, the failure is final, the tries run out, or stop is set."""
    stop = stop or threading.Event()
    failures = 0
    while True:
        try:
            return Delivered(send(), failures + 1)
        except DeliveryFailed as exc:
            failures += 1
            if not exc.transient or failures >= policy.attempts:
                tries = f" after {failures} tries" if failures > 1 else ""
                raise DeliveryGaveUp(
                    f"{exc.reason}{tries}", attempts=failures, transient=exc.transient
                ) from None
            if stop.wait(policy.pause_after(failures)):
                raise DeliveryGaveUp(
                    f"{exc.reason} (stopped before try {failures + 1})",
                    attempts=failures,
                    transient=True,
                ) from None
