"""How long to wait before the next try: one rule for every retry loop (render jobs, invitation
delivery, the view webhook).

Exponential with a cap, and a fifth of jitter either way so that many retries failing together
(an SMTP server down for a campaign, a receiver down for a burst of views) do not come back
together.
"""

from __future__ import annotations

import random


def pause_after(failures: int, first: float, factor: float = 2.0, cap: float = 60.0) -> float:
    """Seconds to wait after the `failures`-th failure (1 or more): first x factor^(failures-1),
    at most `cap`, then ±20 %."""
    base = min(cap, first * factor ** max(0, failures - 1))
    return base * random.uniform(0.8, 1.2)  # noqa: S311 (timing, not security)
