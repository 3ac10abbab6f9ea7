"""Retention maths: pure functions over counts, no SQL, no Flask.

A video of duration D has ceil(D) seconds; second s covers [s, s+1). A scene [start, end) owns the
seconds that start inside it, so every second belongs to exactly one scene.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SceneSpan:
    id: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Comparison:
    """A difference between two groups (a - b) and its two-sided p-value."""

    difference: float
    z: float
    p_value: float


def seconds_in(duration: float) -> int:
    """The number of whole-second slots a video of this duration has."""
    return max(1, math.ceil(duration - 1e-9))


def scene_seconds(scene: SceneSpan, n_seconds: int) -> range:
    """The seconds whose start lies inside the scene."""
    first = min(max(0, math.ceil(scene.start - 1e-9)), n_seconds)
    last = min(max(first, math.ceil(scene.end - 1e-9)), n_seconds)
    return range(first, last)


def retention_curve(watch_counts: Sequence[int], views: int) -> list[float]:
    """For each second, the share of views that watched it."""
    if views <= 0:
        return [0.0] * len(watch_counts)
    return [count / views for count in watch_counts]


def scene_dropoff(entered: Sequence[int], continued: Sequence[int]) -> list[float]:
    """Per scene, the share of the views that reached it and went no further."""
    return [(e - c) / e if e else 0.0 for e, c in zip(entered, continued, strict=True)]


def scene_lost(entered: Sequence[int], continued: Sequence[int], views: int) -> list[float]:
    """Per scene, the share of all views that stopped in it."""
    return [(e - c) / views if views else 0.0 for e, c in zip(entered, continued, strict=True)]


def rate(part: int | float, whole: int | float) -> float:
    return part / whole if whole else 0.0


def _two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def proportion_test(hits_a: int, n_a: int, hits_b: int, n_b: int) -> Comparison:
    """Two-proportion z-test (pooled): is rate a different from rate b?"""
    if n_a <= 0 or n_b <= 0:
        return Comparison(math.nan, math.nan, math.nan)
    p_a, p_b = hits_a / n_a, hits_b / n_b
    pooled = (hits_a + hits_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:
        return Comparison(p_a - p_b, 0.0, 1.0)
    z = (p_a - p_b) / se
    return Comparison(p_a - p_b, z, _two_sided_p(z))


def welch_test(n_a: int, sum_a: float, sumsq_a: float, n_b: int, sum_b: float, sumsq_b: float) -> Comparison:
    """Welch's test on two means given counts, sums and sums of squares (normal approximation)."""
    if n_a < 2 or n_b < 2:
        return Comparison(math.nan, math.nan, math.nan)
    mean_a, mean_b = sum_a / n_a, sum_b / n_b
    var_a = max(0.0, (sumsq_a - n_a * mean_a**2) / (n_a - 1))
    var_b = max(0.0, (sumsq_b - n_b * mean_b**2) / (n_b - 1))
    se = math.sqrt(var_a / n_a + var_b / n_b)
    if se == 0:
        return Comparison(mean_a - mean_b, 0.0, 1.0 if mean_a == mean_b else 0.0)
    z = (mean_a - mean_b) / se
    return Comparison(mean_a - mean_b, z, _two_sided_p(z))
