"""Adaptive variants: Thompson sampling over a story's variants, each keeping a minimum share. Pure.

Each variant's reward (CTA or completion per view) has a Beta(1 + successes, 1 + failures)
posterior; a new link gets the variant whose posterior draw is highest, so traffic moves to the
winner as evidence grows. With probability min_share x variants the pick is uniform instead,
which guarantees every variant at least `min_share` of new links (and keeps it measured).
"""

from __future__ import annotations

import random
from collections.abc import Mapping

Stats = Mapping[str, tuple[int, int]]  # variant -> (views, successes)


def thompson_pick(stats: Stats, min_share: float, rng: random.Random) -> str:
    names = sorted(stats)
    if rng.random() < min_share * len(names):
        return rng.choice(names)
    draws = {v: rng.betavariate(1 + s, 1 + max(0, n - s)) for v, (n, s) in stats.items()}
    return max(names, key=lambda v: draws[v])


def allocation_shares(stats: Stats, min_share: float, rng: random.Random, draws: int = 4000) -> dict[str, float]:
    """The share of new links each variant gets now (Monte Carlo over the same rule)."""
    counts = dict.fromkeys(stats, 0)
    for _ in range(draws):
        counts[thompson_pick(stats, min_share, rng)] += 1
    return {v: c / draws for v, c in counts.items()}
