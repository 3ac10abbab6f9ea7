"""Report queries: a handful of GROUP BY queries over the counter tables and the links' index.

Only a funnel filtered by date, variant or device reads the views (which links got how far in the
views the filters keep).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import time
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, func, select

from smartvideo.analytics.engagement import EngagementPoints
from smartvideo.analytics.reach import REACH_STAGES
from smartvideo.analytics.report_model import (
    FUNNEL_STAGES,
    TOTALS,
    CounterGroup,
    CustomerEngagement,
    EngagementSummary,
    Filters,
    LinkReach,
    Report,
    build_report,
    channel_figures,
    funnel_of,
    intro_retention,
)
from smartvideo.analytics.tables import (
    clicks_table,
    daily_table,
    reach_table,
    scene_lists_table,
    scenes_table,
    seconds_table,
    viewers_table,
    views_table,
)
from smartvideo.links import links_table


def _where(table: Any, story: str, filters: Filters, day_column: str = "day") -> Any:
    c = table.c
    clauses = [c.story == story]
    if filters.date_from:
        clauses.append(c[day_column] >= filters.date_from)
    if filters.date_to:
        clauses.append(c[day_column] <= filters.date_to)
    if filters.variant is not None:
        clauses.append(c.variant == filters.variant)
    if filters.device is not None:
        clauses.append(c.device == filters.device)
    if filters.campaign is not None:
        clauses.append(c.campaign == filters.campaign)
    return and_(*clauses)


def _counter_groups(conn: Connection, story: str, filters: Filters) -> dict[tuple[str, str], CounterGroup]:
    groups: dict[tuple[str, str], CounterGroup] = {}

    def group(variant: str, device: str) -> CounterGroup:
        return groups.setdefault((variant, device), CounterGroup())

    d = daily_table.c
    for row in conn.execute(
        select(
            d.variant,
            d.device,
            *[func.sum(d[name]).label(name) for name in TOTALS],
            func.max(d.max_seconds).label("max_seconds"),
        )
        .where(_where(daily_table, story, filters))
        .group_by(d.variant, d.device)
    ):
        g = group(row.variant, row.device)
        g.totals = {name: row._mapping[name] or 0 for name in TOTALS}
        g.max_seconds = int(row.max_seconds or 0)
    s = seconds_table.c
    for srow in conn.execute(
        select(s.variant, s.device, s.second, func.sum(s.views), func.sum(s.rewatches))
        .where(_where(seconds_table, story, filters))
        .group_by(s.variant, s.device, s.second)
    ):
        group(srow[0], srow[1]).seconds[int(srow[2])] = [int(srow[3]), int(srow[4])]
    c = scenes_table.c
    for crow in conn.execute(
        select(
            c.variant,
            c.device,
            c.scene,
            func.min(c.position),
            func.sum(c.present),
            func.sum(c.entered),
            func.sum(c.continued),
            func.sum(c.start_sum),
            func.sum(c.end_sum),
        )
        .where(_where(scenes_table, story, filters))
        .group_by(c.variant, c.device, c.scene)
    ):
        group(crow[0], crow[1]).scenes[crow[2]] = [float(v or 0) for v in crow[3:]]
    return groups


@dataclasses.dataclass(frozen=True, slots=True)
class _LinkCount:
    channel: str
    variant: str | None
    links: int
    delivered: int


def _link_counts(conn: Connection, story: str, filters: Filters) -> list[_LinkCount]:
    """The story's links per channel and variant, made and delivered, in one pass over the
    links' index (ix_links_story_reach)."""
    c = links_table.c
    return [
        _LinkCount(channel, variant, int(links), int(delivered))
        for channel, variant, links, delivered in conn.execute(
            select(c.channel, c.variant, func.count(), func.count(c.delivered_at))
            .where(c.story == story, *_link_clauses(filters))
            .group_by(c.channel, c.variant)
        )
    ]


def _links_made(counts: list[_LinkCount], filters: Filters) -> tuple[int | None, dict[str, int] | None]:
    """Links made for the story (and per explicit variant); None where links cannot tell."""
    if filters.device is not None:
        return None, None  # a link is not made for a device
    per_variant: dict[str, int] = {}
    unknown = 0  # links whose variant is picked per customer at render time
    for count in counts:
        if count.variant is None:
            unknown += count.links
        else:
            per_variant[count.variant] = per_variant.get(count.variant, 0) + count.links
    if filters.variant is not None:
        return (per_variant.get(filters.variant, 0) if not unknown else None), (per_variant if not unknown else None)
    return sum(per_variant.values()) + unknown, (per_variant if not unknown else None)


def _link_clauses(filters: Filters) -> list[Any]:
    c = links_table.c
    clauses = []
    if filters.campaign is not None:
        clauses.append(c.campaign == filters.campaign if filters.campaign else c.campaign.is_(None))
    if filters.date_from:
        clauses.append(c.created_at >= dt.datetime.combine(filters.date_from, dt.time(), dt.UTC))
    if filters.date_to:
        clauses.append(c.created_at < dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time(), dt.UTC))
    return clauses


def _link_reach(conn: Connection, story: str, filters: Filters,
                counts: list[_LinkCount] | None = None) -> dict[str, LinkReach]:
    """Per channel, how far its links got: links made and delivered from the links' index, the
    stages from the reach counters (each link once per stage).

    A filter on date, variant or device asks which links got how far in the views of those days,
    variants or devices: that is answered from the views themselves (`_link_reach_from_views`)."""
    if filters.date_from or filters.date_to or filters.variant is not None or filters.device is not None:
        return _link_reach_from_views(conn, story, filters)
    r = reach_table.c
    stages = {
        row[0]: [int(n) for n in row[1:]]
        for row in conn.execute(
            select(r.channel, *[func.sum(r[name]) for name in REACH_STAGES])
            .where(_where(reach_table, story, filters))
            .group_by(r.channel)
        )
    }
    made: dict[str, list[int]] = {}
    for count in counts if counts is not None else _link_counts(conn, story, filters):
        slot = made.setdefault(count.channel, [0, 0])
        slot[0] += count.links
        slot[1] += count.delivered
    known = any(delivered for _, delivered in made.values())
    return {
        channel: LinkReach(links=links, delivered=delivered,  # type: ignore[arg-type]
                           **dict(zip(REACH_STAGES, stages.get(channel, [0] * len(REACH_STAGES)), strict=True)),
                           delivery_known=known)
        for channel, (links, delivered) in sorted(made.items())
    }


def _link_reach_from_views(conn: Connection, story: str, filters: Filters) -> dict[str, LinkReach]:
    """Per channel, how far its links got in the views the filters keep: one GROUP BY over the
    story's views per link, joined to the links (a link never opened counts as made, and delivered
    where recorded)."""
    v, c = views_table.c, links_table.c

    def flag(condition: Any) -> Any:
        return func.max(case((condition, 1), else_=0))

    watched = (v.n_seconds > 0, v.watched_count * 100)
    per_link = (
        select(
            v.link_id.label("link_id"),
            flag(v.opened).label("opened"),
            flag(v.played).label("played"),
            *[flag(and_(watched[0], watched[1] >= v.n_seconds * pct) | v.completed).label(f"watched_{pct}")
              for pct in (25, 50, 75)],
            flag(v.completed).label("watched_100"),
            flag(v.cta).label("cta"),
        )
        .where(_where(views_table, story, filters))
        .group_by(v.link_id)
        .subquery()
    )
    clauses = [c.story == story, *_link_clauses(filters)]
    if filters.variant is not None or filters.device is not None:
        clauses.append(per_link.c.link_id.is_not(None))  # a link is made for neither: count those viewed
    rows = conn.execute(
        select(
            c.channel,
            func.count(),
            func.count(c.delivered_at),
            *[func.coalesce(func.sum(per_link.c[name]), 0) for name in REACH_STAGES],
        )
        .select_from(links_table.outerjoin(per_link, per_link.c.link_id == c.id))
        .where(*clauses)
        .group_by(c.channel)
        .order_by(c.channel)
    ).all()
    known = any(row[2] for row in rows)
    return {
        row[0]: LinkReach(**dict(zip(FUNNEL_STAGES, (int(n) for n in row[1:]), strict=True)),  # type: ignore[arg-type]
                          delivery_known=known)
        for row in rows
    }


def _clicks_and_intro(conn: Connection, story: str, filters: Filters) -> tuple[dict[str, list[dict[str, Any]]],
                                                                            dict[str, float | None]]:
    """Per variant: CTA and chapter clicks per scene (a CTA in the scene showing at its time, a
    chapter jump in the scene it jumps to), and the second its first personal scene starts.

    From the counters: a variant's scene list (the greatest of its renders') and its clicks."""
    lists, k = scene_lists_table.c, clicks_table.c
    clicks: dict[str, dict[str, dict[str, Any]]] = {}
    order: dict[str, list[str]] = {}
    personal_start: dict[str, float | None] = {}
    for variant, scenes_json in conn.execute(
        select(lists.variant, func.max(lists.scenes)).where(_where(scene_lists_table, story, filters))
        .group_by(lists.variant)
    ).all():
        scenes = json.loads(scenes_json)
        order[variant] = [str(sc["id"]) for sc in scenes]
        clicks[variant] = {str(sc["id"]): {"scene": str(sc["id"]), "cta": 0, "chapter": 0} for sc in scenes}
        personal_start[variant] = next((float(sc["start"]) for sc in scenes if sc.get("personal")), None)
    for variant, scene, cta, chapter in conn.execute(
        select(k.variant, k.scene, func.sum(k.cta), func.sum(k.chapter)).where(_where(clicks_table, story, filters))
        .group_by(k.variant, k.scene)
    ).all():
        if variant in clicks and scene in clicks[variant]:
            clicks[variant][scene]["cta"] += int(cta)
            clicks[variant][scene]["chapter"] += int(chapter)
    return {name: [clicks[name][sid] for sid in order[name]] for name in clicks}, personal_start


def _engagement(
    conn: Connection,
    story: str,
    filters: Filters,
    points: EngagementPoints,
    totals: dict[str, float],
) -> EngagementSummary:
    """Customers and mean score from the counters; the top list walks the flags index best-first."""
    customers = int(totals.get("new_viewers", 0))
    score_sum = (
        points.opened * totals.get("viewers_opened", 0)
        + points.watched_half * totals.get("viewers_half", 0)
        + points.completed * totals.get("viewers_completed", 0)
        + points.cta * totals.get("viewers_cta", 0)
    )
    v = viewers_table.c
    where = _where(viewers_table, story, filters, day_column="first_day")
    combos: dict[int, list[tuple[int, int, int, int]]] = {}
    for o, h, c, t in itertools.product((1, 0), repeat=4):  # opened, half, completed, cta
        combos.setdefault(points.score(bool(o), bool(h), bool(c), bool(t)), []).append((o, h, c, t))
    top: list[CustomerEngagement] = []
    for score in sorted(combos, reverse=True):
        wanted = points.top - len(top)
        if wanted <= 0:
            break
        found = []
        for opened, half, completed, cta in combos[score]:
            query = (
                select(v.customer_id, v.variant, v.views)
                .where(
                    where,
                    v.cta == cta,
                    v.completed == completed,
                    v.half == half,
                    v.opened == opened,
                )
                .order_by(v.customer_id)
                .limit(wanted)
            )
            found += [
                CustomerEngagement(
                    row.customer_id,
                    row.variant,
                    int(row.views),
                    bool(opened),
                    bool(half),
                    bool(completed),
                    bool(cta),
                    score,
                )
                for row in conn.execute(query)
            ]
        top += sorted(found, key=lambda c: c.customer_id)[:wanted]
    return EngagementSummary(points.as_dict(), customers, score_sum / customers if customers else 0.0, tuple(top))


def story_report(
    engine: Engine,
    story: str,
    filters: Filters | None = None,
    points: EngagementPoints | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """The drop-off report of a story, read from the counters."""
    filters = filters or Filters()
    points = points or EngagementPoints()
    started = time.perf_counter()
    with engine.connect() as conn:
        groups = _counter_groups(conn, story, filters)
        counts = _link_counts(conn, story, filters)
        links, links_per_variant = _links_made(counts, filters)
        totals: dict[str, float] = {}
        for group in groups.values():
            for name, value in group.totals.items():
                totals[name] = totals.get(name, 0) + value
        engagement = _engagement(conn, story, filters, points, totals)
        reach = _link_reach(conn, story, filters, counts)
        clicks, personal_start = _clicks_and_intro(conn, story, filters)
    query_ms = (time.perf_counter() - started) * 1000
    report = build_report(
        story,
        filters,
        groups,
        links,
        links_per_variant,
        engagement,
        query_ms,
        now or dt.datetime.now(dt.UTC),
    )
    sums = [sum(getattr(r, name) for r in reach.values()) for name in FUNNEL_STAGES]
    total = LinkReach(**dict(zip(FUNNEL_STAGES, sums, strict=True)),  # type: ignore[arg-type]
                      delivery_known=any(r.delivery_known for r in reach.values()))
    return dataclasses.replace(
        report,
        channels=tuple(channel_figures(name, r) for name, r in reach.items()),
        funnel=funnel_of(total),
        scene_clicks=clicks,
        intro={name: intro_retention(f.retention, personal_start.get(name)) for name, f in report.variants.items()},
    )
