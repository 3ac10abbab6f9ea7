"""Fill the report's view-free counters (scene lists, clicks per scene, funnel reach) from views
already recorded: once, when the migration that adds them runs (and for views written straight into
the tables, as the report benchmark seeds them). Ingest keeps them from then on.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from smartvideo.analytics.counter_deltas import CounterDeltas
from smartvideo.analytics.ingest import parse_scenes
from smartvideo.analytics.reach import CLICK_KINDS, click_scene, reached_stages
from smartvideo.analytics.sql_upsert import driver_value, raw_cursor, update_sql
from smartvideo.analytics.tables import events_table, viewers_table, views_table
from smartvideo.analytics.view_state import ViewState
from smartvideo.links import links_table


def backfill_counters(conn: Connection) -> None:
    """Add every recorded view to the scene-list, click and reach counters (which must start empty)."""
    dialect = conn.dialect.name
    deltas = CounterDeltas()
    v = views_table.c
    channels = {link_id: channel for link_id, channel in conn.execute(select(links_table.c.id, links_table.c.channel))}
    stages: dict[tuple[str, str], int] = {}
    rows = conn.execute(
        select(v.story, v.variant, v.device, v.campaign, v.day, v.link_id, v.n_seconds, v.scenes, v.watched_count,
               v.opened, v.played, v.completed, v.cta)
        .order_by(v.story, v.link_id, v.created_at, v.view_id)
    )
    for story, variant, device, campaign, day, link_id, n_seconds, scenes, count, *flags in rows:
        dims = (story, variant, device, campaign, driver_value(dialect, day))
        opened, played, completed, cta = (bool(flag) for flag in flags)
        state = ViewState(b"", count, 0, opened, played, completed, cta)
        view_stages = reached_stages(state, n_seconds)
        key = (story, link_id)
        new = view_stages & ~stages.get(key, 0)
        stages[key] = stages.get(key, 0) | view_stages
        if new:
            deltas.add_reach(dims, channels.get(link_id, "none"), new)
        if scenes:
            deltas.add_scene_list(dims, scenes)
    e = events_table.c
    clicks = conn.execute(
        select(v.story, v.variant, v.device, v.campaign, v.day, v.scenes, e.type, e.t, e.second)
        .join(events_table, e.view_id == v.view_id)
        .where(e.type.in_(CLICK_KINDS), v.scenes.is_not(None))
    )
    for story, variant, device, campaign, day, scenes, kind, t, second in clicks:
        scene = click_scene(kind, t, second if kind == "chapter" else None, parse_scenes(scenes))
        if scene is not None:
            deltas.add_click((story, variant, device, campaign, driver_value(dialect, day)), scene, kind)
    cur = raw_cursor(conn)
    if stages:
        cur.executemany(update_sql(dialect, viewers_table, ("reached",), ("story", "link_id")),
                        [(bits, story, link_id) for (story, link_id), bits in stages.items() if bits])
    deltas.flush(cur, dialect)
