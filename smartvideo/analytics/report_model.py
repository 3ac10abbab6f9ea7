"""The report as data, and its figures computed from counter groups (pure: no SQL here).

A `CounterGroup` holds the summed counters of one (variant, device) pair; figures for the story, a
variant or a device are sums of groups, so one query per counter table feeds every breakdown.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from smartvideo.analytics.retention import (
    Comparison,
    proportion_test,
    rate,
    retention_curve,
    scene_dropoff,
    scene_lost,
    welch_test,
)

# Every daily counter the ingest adds to, in the order reports sum them.
DAILY_COUNTERS = (
    "views",
    "new_viewers",
    "opens",
    "plays",
    "completions",
    "halves",
    "ctas",
    "errors",
    "rewatch_views",
    "watched_seconds",
    "rewatched_seconds",
    "watched_sum",
    "watched_sq_sum",
)
VIEWER_COUNTERS = ("viewers_opened", "viewers_half", "viewers_completed", "viewers_cta")
TOTALS = (*DAILY_COUNTERS, *VIEWER_COUNTERS)
SCENE_COUNTS = ("present", "entered", "continued", "start_sum", "end_sum")


@dataclass(frozen=True, slots=True)
class Filters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    variant: str | None = None
    device: str | None = None
    campaign: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "variant": self.variant,
            "device": self.device,
            "campaign": self.campaign,
        }


@dataclass
class CounterGroup:
    """Summed counters of one (variant, device): mutable while being summed, then read."""

    totals: dict[str, float] = field(default_factory=lambda: dict.fromkeys(TOTALS, 0))
    max_seconds: int = 0
    seconds: dict[int, list[int]] = field(default_factory=dict)  # second -> [views, rewatches]
    scenes: dict[str, list[float]] = field(default_factory=dict)  # id -> [position, *SCENE_COUNTS]

    def add(self, other: CounterGroup) -> None:
        for name, value in other.totals.items():
            self.totals[name] += value
        self.max_seconds = max(self.max_seconds, other.max_seconds)
        for second, (views, rewatches) in other.seconds.items():
            slot = self.seconds.setdefault(second, [0, 0])
            slot[0] += views
            slot[1] += rewatches
        for scene, values in other.scenes.items():
            scene_slot = self.scenes.setdefault(scene, [values[0]] + [0.0] * len(SCENE_COUNTS))
            scene_slot[0] = min(scene_slot[0], values[0])
            for i in range(1, len(values)):
                scene_slot[i] += values[i]


@dataclass(frozen=True, slots=True)
class SceneFigures:
    id: str
    start: float
    end: float
    reached: float  # share of views that watched any second of it
    dropoff: float  # share of those that went no further
    lost: float  # share of all views that stopped in it


@dataclass(frozen=True, slots=True)
class Figures:
    views: int
    links: int | None
    unique_viewers: int
    repeat_views: int
    rewatch_views: int
    rewatched_seconds: int
    open_rate: float | None
    play_rate: float
    completion_rate: float
    avg_watched: float
    cta_rate: float
    error_rate: float
    retention: tuple[float, ...]
    rewatches: tuple[int, ...]  # per second: times watched again within a view
    scenes: tuple[SceneFigures, ...]
    plays: int
    completions: int
    ctas: int
    watched_sum: float
    watched_sq_sum: float


@dataclass(frozen=True, slots=True)
class VariantComparison:
    variant: str
    baseline: str
    play_rate: Comparison
    completion_rate: Comparison
    cta_rate: Comparison
    avg_watched: Comparison


@dataclass(frozen=True, slots=True)
class CustomerEngagement:
    customer_id: str
    variant: str
    views: int
    opened: bool
    watched_half: bool
    completed: bool
    cta: bool
    score: int


@dataclass(frozen=True, slots=True)
class EngagementSummary:
    points: dict[str, int]
    customers: int
    mean_score: float
    top: tuple[CustomerEngagement, ...]


FUNNEL_STAGES = ("links", "delivered", "opened", "played", "watched_25", "watched_50", "watched_75",
                 "watched_100", "cta")


@dataclass(frozen=True, slots=True)
class LinkReach:
    """How far the links of one channel got, each link (customer) counted once."""

    links: int
    delivered: int
    opened: int
    played: int
    watched_25: int
    watched_50: int
    watched_75: int
    watched_100: int
    cta: int
    delivery_known: bool  # some link of the story records its delivery


@dataclass(frozen=True, slots=True)
class ChannelFigures:
    channel: str
    links: int
    opens: int
    plays: int
    completions: int
    ctas: int
    open_rate: float
    play_rate: float
    completion_rate: float
    cta_rate: float


@dataclass(frozen=True, slots=True)
class FunnelStage:
    stage: str
    count: int | None  # None: not known (no link of the story records its delivery)
    of_links: float | None  # share of the links made
    of_previous: float | None  # share of the stage before it that is known


def channel_figures(channel: str, reach: LinkReach) -> ChannelFigures:
    return ChannelFigures(channel, reach.links, reach.opened, reach.played, reach.watched_100, reach.cta,
                          rate(reach.opened, reach.links), rate(reach.played, reach.links),
                          rate(reach.watched_100, reach.links), rate(reach.cta, reach.links))


def funnel_of(reach: LinkReach) -> tuple[FunnelStage, ...]:
    """links made -> delivered (where known) -> opened -> played -> 25/50/75/100 % watched -> CTA."""
    stages: list[FunnelStage] = []
    previous: int | None = None
    for name in FUNNEL_STAGES:
        count: int | None = getattr(reach, name)
        if name == "delivered" and not reach.delivery_known:
            count = None
        stages.append(FunnelStage(
            name, count,
            None if count is None else rate(count, reach.links),
            None if count is None or previous is None else rate(count, previous),
        ))
        if count is not None:
            previous = count
    return tuple(stages)


@dataclass(frozen=True, slots=True)
class Report:
    story: str
    filters: Filters
    generated_at: dt.datetime
    figures: Figures
    variants: dict[str, Figures]
    devices: dict[str, Figures]
    comparisons: tuple[VariantComparison, ...]
    engagement: EngagementSummary
    query_ms: float
    channels: tuple[ChannelFigures, ...] = ()
    funnel: tuple[FunnelStage, ...] = ()
    scene_clicks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # variant -> per scene
    intro: dict[str, dict[str, float | None]] = field(default_factory=dict)  # variant -> intro retention


def intro_retention(retention: tuple[float, ...], personal_start: float | None) -> dict[str, float | None]:
    """The share still watching at 5 s, and when the first personal scene starts (YouTube's intro)."""
    at = math.floor(personal_start) if personal_start is not None else None
    return {
        "at_5s": retention[5] if len(retention) > 5 else None,
        "first_personal_scene_at": personal_start,
        "at_first_personal_scene": retention[at] if at is not None and at < len(retention) else None,
    }


def figures_of(group: CounterGroup, links: int | None, with_scenes: bool = True) -> Figures:
    """Rates, the retention curve and scene drop-off from summed counters.

    with_scenes=False where the group mixes variants: each variant has its own scenes, and their
    boundaries are never averaged across variants.
    """
    t = group.totals
    views = int(t["views"])
    n = max(group.max_seconds, max(group.seconds, default=-1) + 1)
    watch_counts = [group.seconds.get(s, [0, 0])[0] for s in range(n)]
    rewatches = tuple(group.seconds.get(s, [0, 0])[1] for s in range(n))
    ordered = sorted(
        group.scenes.items() if with_scenes else (),
        key=lambda kv: (kv[1][4] / kv[1][1] if kv[1][1] else math.inf, kv[1][0]),
    )
    entered = [int(v[2]) for _, v in ordered]
    continued = [int(v[3]) for _, v in ordered]
    drops = scene_dropoff(entered, continued)
    lost = scene_lost(entered, continued, views)
    scenes = tuple(
        SceneFigures(
            scene,
            round(v[4] / v[1], 3) if v[1] else 0.0,
            round(v[5] / v[1], 3) if v[1] else 0.0,
            rate(v[2], views),
            drops[i],
            lost[i],
        )
        for i, (scene, v) in enumerate(ordered)
    )
    unique = int(t["new_viewers"])
    return Figures(
        views=views,
        links=links,
        unique_viewers=unique,
        repeat_views=max(0, views - unique),
        rewatch_views=int(t["rewatch_views"]),
        rewatched_seconds=int(t["rewatched_seconds"]),
        open_rate=rate(unique, links) if links else (None if links is None else 0.0),
        play_rate=rate(t["plays"], views),
        completion_rate=rate(t["completions"], views),
        avg_watched=rate(t["watched_sum"], views),
        cta_rate=rate(t["ctas"], views),
        error_rate=rate(t["errors"], views),
        retention=tuple(retention_curve(watch_counts, views)),
        rewatches=rewatches,
        scenes=scenes,
        plays=int(t["plays"]),
        completions=int(t["completions"]),
        ctas=int(t["ctas"]),
        watched_sum=float(t["watched_sum"]),
        watched_sq_sum=float(t["watched_sq_sum"]),
    )


def compare(variant: str, a: Figures, baseline: str, b: Figures) -> VariantComparison:
    """Variant a against the baseline b: differences (a - b) and two-sided p-values."""
    return VariantComparison(
        variant=variant,
        baseline=baseline,
        play_rate=proportion_test(a.plays, a.views, b.plays, b.views),
        completion_rate=proportion_test(a.completions, a.views, b.completions, b.views),
        cta_rate=proportion_test(a.ctas, a.views, b.ctas, b.views),
        avg_watched=welch_test(a.views, a.watched_sum, a.watched_sq_sum, b.views, b.watched_sum, b.watched_sq_sum),
    )


def sum_groups(groups: Iterable[CounterGroup]) -> CounterGroup:
    total = CounterGroup()
    for group in groups:
        total.add(group)
    return total


def build_report(
    story: str,
    filters: Filters,
    groups: dict[tuple[str, str], CounterGroup],
    links: int | None,
    links_per_variant: dict[str, int] | None,
    engagement: EngagementSummary,
    query_ms: float,
    now: dt.datetime,
) -> Report:
    """The whole report from counter groups keyed by (variant, device)."""
    variants = sorted({v for v, _ in groups})
    devices = sorted({d for _, d in groups})
    per_variant = {
        v: figures_of(
            sum_groups(g for (gv, _), g in groups.items() if gv == v),
            links_per_variant.get(v) if links_per_variant is not None else None,
        )
        for v in variants
    }
    one_variant = len(variants) <= 1
    per_device = {
        d: figures_of(sum_groups(g for (_, gd), g in groups.items() if gd == d), None, one_variant) for d in devices
    }
    comparisons: tuple[VariantComparison, ...] = ()
    if len(per_variant) > 1:
        baseline = max(per_variant, key=lambda v: (per_variant[v].views, v == variants[0]))
        comparisons = tuple(
            compare(v, per_variant[v], baseline, per_variant[baseline]) for v in variants if v != baseline
        )
    return Report(
        story=story,
        filters=filters,
        generated_at=now,
        figures=figures_of(sum_groups(groups.values()), links, one_variant),
        variants=per_variant,
        devices=per_device,
        comparisons=comparisons,
        engagement=engagement,
        query_ms=query_ms,
    )
