"""The report's funnel, channels, scene lists and clicks come from counters kept at ingest; they must
equal what a GROUP BY over the views says, on varied traffic (variants with their own scenes,
channels, campaigns, devices, rewatches, replays, clicks, viewers who leave before the render is
planned or timed and are folded later), on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from analytics_support import SCENES, STORY
from sqlalchemy import Connection, delete, func, select, update

from smartvideo.analytics.counter_backfill import backfill_counters
from smartvideo.analytics.events import BeaconBatch, Event, SimpleEvent, WatchEvent
from smartvideo.analytics.ingest import BeaconStore
from smartvideo.analytics.report_model import Filters
from smartvideo.analytics.report_queries import _clicks_and_intro, _link_reach, _link_reach_from_views, story_report
from smartvideo.analytics.tables import (
    clicks_table,
    events_table,
    reach_table,
    scene_lists_table,
    viewers_table,
    views_table,
)

SCENES_OF_B = [{"id": "hello", "start": 0.0, "end": 6.0, "personal": True}, {"id": "bye", "start": 6.0, "end": 10.0}]


def clicks_from_views(conn: Connection, story: str, filters: Filters) -> tuple[dict, dict]:
    """The straightforward answer: every click event joined to its view's scenes (the report's
    query before the counters)."""
    from smartvideo.analytics.report_queries import _where

    v, e = views_table.c, events_table.c
    scenes_of = {
        variant: json.loads(text)
        for variant, text in conn.execute(
            select(v.variant, func.max(v.scenes)).where(_where(views_table, story, filters), v.scenes.is_not(None))
            .group_by(v.variant))
    }
    clicks = {variant: {str(s["id"]): {"scene": str(s["id"]), "cta": 0, "chapter": 0} for s in scenes}
              for variant, scenes in scenes_of.items()}
    for variant, text, kind, t, index in conn.execute(
        select(v.variant, v.scenes, e.type, e.t, e.second).join(events_table, e.view_id == v.view_id)
        .where(_where(views_table, story, filters), e.type.in_(("cta", "chapter")))
    ):
        scenes = json.loads(text) if text else scenes_of.get(variant, [])
        target = None
        if kind == "chapter" and index is not None and index < len(scenes):
            target = scenes[index]
        elif t is not None:
            target = next((s for s in scenes if s["start"] <= t < s["end"]), scenes[-1] if scenes else None)
        if target is not None and variant in clicks and str(target["id"]) in clicks[variant]:
            clicks[variant][str(target["id"])][kind] += 1
    personal = {variant: next((float(s["start"]) for s in scenes if s.get("personal")), None)
                for variant, scenes in scenes_of.items()}
    return {variant: list(per_scene.values()) for variant, per_scene in clicks.items()}, personal


def _viewing(rng: random.Random, length: int) -> list[Event]:
    """One viewer's events: open, maybe play, seconds (some again), maybe a chapter jump, CTA, end."""
    events: list[Event] = [SimpleEvent("open")]
    if rng.random() < 0.15:
        return events  # opened the page, never played
    stop = rng.choice([1, 2, 3, 5, 7, 8, 10, 10])
    events += [SimpleEvent("play", t=0.0), *(WatchEvent(s) for s in range(min(stop, length)))]
    if rng.random() < 0.3:
        events += [WatchEvent(s) for s in range(0, min(stop, 3))]  # a rewatch
    if rng.random() < 0.25:
        events.append(SimpleEvent("chapter", t=rng.choice([0.0, 4.0, 6.0]), scene=rng.choice([0, 1, 2, 7])))
    if rng.random() < 0.2:
        events.append(SimpleEvent("cta", t=rng.choice([None, 2.0, 8.2, 11.0])))
    if stop >= length:
        events.append(SimpleEvent("ended", t=float(length)))
    return events


def _varied_traffic(store: BeaconStore, make_link, seed: int) -> None:  # noqa: ANN001
    from smartvideo.jobs import render_rows

    rng = random.Random(seed)
    for n in range(40):
        variant = "AB"[n % 2]
        channel = ["email", "sms", "agent", "campaign"][n % 4]
        campaign = rng.choice(["spring", "autumn", None])
        scenes = SCENES if variant == "A" else SCENES_OF_B
        late = n % 7 == 3  # watches the progressive stream before the render is planned or timed
        link = make_link(f"K{seed}-{n}", variant=None if late else variant, campaign=campaign, channel=channel,
                         render=not late, scenes=scenes)
        if late:
            make_link_render = __import__("analytics_support").add_render
            make_link_render(store.engine, link, status="rendering", variant=variant)
        if n % 9 == 5:
            continue  # a link never opened: made, delivered or not, nothing more
        for view_no in range(1 + (rng.random() < 0.3)):  # some customers watch twice
            device = "landscape" if late or view_no == 0 else rng.choice(["portrait", "landscape"])
            if device == "portrait" and not late:
                __import__("analytics_support").add_render(store.engine, link, device="portrait", scenes=scenes)
            events = _viewing(rng, 10)
            view = f"v-{seed}-{n}-{view_no}"
            chunks = [events[i:i + 3] for i in range(0, len(events), 3)]
            for seq, chunk in enumerate(chunks):
                if late and seq == 1:
                    render_rows.set_plan_facts(store.engine, f"{link.id}-landscape", variant, "v1")
                store.ingest(link, BeaconBatch(view, seq, device, tuple(chunk)))
                if rng.random() < 0.2:  # the player sends a batch again
                    assert store.ingest(link, BeaconBatch(view, seq, device, tuple(chunk))).duplicate
        if late:
            render_rows.set_plan_facts(store.engine, f"{link.id}-landscape", variant, "v1", 10.0, scenes)
    store.fold_pending()


FILTERS = [Filters(), Filters(campaign="spring"), Filters(campaign="")]


@pytest.mark.parametrize("seed", [1, 2])
def test_funnel_and_channels_from_counters_equal_a_group_by_over_the_views(
    store: BeaconStore, make_link, seed: int  # noqa: ANN001
) -> None:
    _varied_traffic(store, make_link, seed)
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(views_table)).scalar_one() > 30
        for filters in FILTERS:
            assert _link_reach(conn, STORY, filters) == _link_reach_from_views(conn, STORY, filters), filters


@pytest.mark.parametrize("seed", [1, 2])
def test_scene_clicks_and_intro_from_counters_equal_the_click_events_on_their_views(
    store: BeaconStore, make_link, seed: int  # noqa: ANN001
) -> None:
    import datetime as dt

    _varied_traffic(store, make_link, seed)
    today = dt.datetime.now(dt.UTC).date()
    with store.engine.connect() as conn:
        clicks, _ = clicks_from_views(conn, STORY, Filters())
        assert sum(c["cta"] + c["chapter"] for per in clicks.values() for c in per) > 3  # the data has clicks
        for filters in [*FILTERS, Filters(variant="B"), Filters(device="portrait"), Filters(date_from=today)]:
            assert _clicks_and_intro(conn, STORY, filters) == clicks_from_views(conn, STORY, filters), filters


def _counters(conn: Connection) -> dict[str, Any]:
    return {
        table.name: sorted(tuple(row) for row in conn.execute(select(table)))
        for table in (reach_table, scene_lists_table, clicks_table)
    } | {"reached": sorted(tuple(row) for row in conn.execute(select(viewers_table.c.link_id,
                                                                          viewers_table.c.reached)))}


def test_the_migration_backfill_gives_the_counters_ingest_keeps(store: BeaconStore, make_link) -> None:  # noqa: ANN001
    _varied_traffic(store, make_link, 3)
    with store.engine.begin() as conn:
        kept = _counters(conn)
        for table in (reach_table, scene_lists_table, clicks_table):
            conn.execute(delete(table))
        conn.execute(update(viewers_table).values(reached=0))
        backfill_counters(conn)
        assert _counters(conn) == kept


def test_the_report_reads_its_funnel_from_counters_unless_a_filter_splits_the_views(
    store: BeaconStore, make_link  # noqa: ANN001
) -> None:
    _varied_traffic(store, make_link, 4)
    with store.engine.begin() as conn:
        conn.execute(delete(reach_table))  # with the counters gone, only the view-reading path still counts
    assert story_report(store.engine, STORY).funnel[2].count == 0  # opened, from the counters
    assert story_report(store.engine, STORY, Filters(variant="A")).funnel[2].count > 0
