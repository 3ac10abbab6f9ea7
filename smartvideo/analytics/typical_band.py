"""The typical retention band: where the curves of other stories and variants of similar length lie.

Each other (story, variant) with enough views and a length within a factor of this one's is read
from the counters, its curve stretched to this video's length (by share of the video), and the band
is the 25th to 75th percentile at each second (YouTube Studio's "typical retention").
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from smartvideo.analytics.tables import daily_table, seconds_table

MIN_VIEWS = 5
LENGTH_FACTOR = 1.5  # similar length: between n / 1.5 and n * 1.5 seconds


@dataclass(frozen=True, slots=True)
class Band:
    low: tuple[float, ...]
    high: tuple[float, ...]
    curves: int  # how many (story, variant) curves it comes from

    def as_dict(self) -> dict[str, object]:
        return {"low": list(self.low), "high": list(self.high), "curves": self.curves,
                "percentiles": [25, 75]}


def _percentile(sorted_values: list[float], share: float) -> float:
    position = (len(sorted_values) - 1) * share
    below = int(position)
    above = min(below + 1, len(sorted_values) - 1)
    return sorted_values[below] + (sorted_values[above] - sorted_values[below]) * (position - below)


def typical_band(engine: Engine, story: str, n_seconds: int, exclude_variant: str | None = None) -> Band | None:
    """The band for a curve of n_seconds; the story's own curves are left out (or only the one
    variant when `exclude_variant` is given, so a variant is held against the story's others)."""
    if n_seconds <= 0:
        return None
    d, s = daily_table.c, seconds_table.c
    with engine.connect() as conn:
        sizes = {
            (row[0], row[1]): (int(row[2]), int(row[3] or 0))
            for row in conn.execute(select(d.story, d.variant, func.sum(d.views), func.max(d.max_seconds))
                                    .group_by(d.story, d.variant))
        }
        wanted = {
            key for key, (views, length) in sizes.items()
            if views >= MIN_VIEWS and n_seconds / LENGTH_FACTOR <= length <= n_seconds * LENGTH_FACTOR
            and not (key[0] == story and (exclude_variant is None or key[1] == exclude_variant))
        }
        if not wanted:
            return None
        counts: dict[tuple[str, str], dict[int, int]] = {key: {} for key in wanted}
        for row in conn.execute(select(s.story, s.variant, s.second, func.sum(s.views))
                                .where(s.story.in_({k[0] for k in wanted}))
                                .group_by(s.story, s.variant, s.second)):
            if (row[0], row[1]) in counts:
                counts[(row[0], row[1])][int(row[2])] = int(row[3])
    curves = []
    for key, per_second in counts.items():
        views, length = sizes[key]
        curves.append([per_second.get(min(length - 1, int(i * length / n_seconds)), 0) / views
                       for i in range(n_seconds)])
    columns = [sorted(curve[i] for curve in curves) for i in range(n_seconds)]
    return Band(tuple(round(_percentile(c, 0.25), 4) for c in columns),
                tuple(round(_percentile(c, 0.75), 4) for c in columns), len(curves))
