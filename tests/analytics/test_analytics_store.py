"""Ingest and report through the real SQL store, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from analytics_support import STORY
from sqlalchemy import func, select

from smartvideo.analytics.errors import BeaconRejected
from smartvideo.analytics.events import BeaconBatch, SimpleEvent, WatchEvent
from smartvideo.analytics.ingest import BeaconStore
from smartvideo.analytics.report_model import Filters
from smartvideo.analytics.report_queries import story_report
from smartvideo.analytics.tables import events_table, views_table

SCENES_OF_B = [{"id": "hello", "start": 0.0, "end": 6.0}, {"id": "bye", "start": 6.0, "end": 10.0}]


def batch(view: str, seq: int, *events, device: str = "landscape") -> BeaconBatch:  # noqa: ANN002
    return BeaconBatch(view, seq, device, tuple(events))


def watched(*seconds: int) -> list[WatchEvent]:
    return [WatchEvent(s) for s in seconds]


OPEN, PLAY, ENDED, CTA = (
    SimpleEvent("open"),
    SimpleEvent("play", t=0.0),
    SimpleEvent("ended", t=10.0),
    SimpleEvent("cta"),
)


def simulate(store: BeaconStore, make_link) -> None:  # noqa: ANN001
    """Four viewers of a 10 s video (scenes 0-4, 4-7.5, 7.5-10) and one who only opened the page."""
    full, half, quick, seeker, idle = (make_link(f"C{i}") for i in range(5))
    # full: watches everything in two batches, clicks the CTA
    store.ingest(full, batch("view-full-1", 0, OPEN, PLAY, *watched(0, 1, 2, 3, 4)))
    store.ingest(full, batch("view-full-1", 1, *watched(5, 6, 7, 8, 9), ENDED, CTA))
    # half: seconds 0-4, rewatches 3 and 4 once
    store.ingest(half, batch("view-half-1", 0, OPEN, PLAY, *watched(0, 1, 2, 3, 4, 3, 4)))
    # quick: seconds 0-1 only
    store.ingest(quick, batch("view-quick-1", 0, OPEN, PLAY, *watched(0, 1)))
    # seeker: 0-2, seeks to 8, watches 8-9 and ends; then opens the page again and watches 0 (a rewatch view)
    store.ingest(
        seeker,
        batch(
            "view-seek-1",
            0,
            OPEN,
            PLAY,
            *watched(0, 1, 2),
            SimpleEvent("seek", t=8.0, t_from=2.5),
            *watched(8, 9),
            ENDED,
        ),
    )
    store.ingest(seeker, batch("view-seek-2", 0, OPEN, PLAY, *watched(0)))
    # idle: opened the page, never played
    store.ingest(idle, batch("view-idle-1", 0, OPEN))


def test_simulated_viewers_give_exactly_the_expected_report(store: BeaconStore, make_link) -> None:  # noqa: ANN001
    simulate(store, make_link)
    make_link("C-never")  # a link nobody opened
    report = story_report(store.engine, STORY)
    f = report.figures
    assert f.views == 6 and f.unique_viewers == 5 and f.repeat_views == 1 and f.links == 6
    assert f.open_rate == pytest.approx(5 / 6)
    assert f.play_rate == pytest.approx(5 / 6)
    assert f.completion_rate == pytest.approx(2 / 6)
    assert f.cta_rate == pytest.approx(1 / 6)
    # watched fractions: 1.0, 0.5, 0.2, 0.5, 0.1, 0.0
    assert f.avg_watched == pytest.approx(2.3 / 6)
    counts = [5, 4, 3, 2, 2, 1, 1, 1, 2, 2]
    assert list(f.retention) == pytest.approx([c / 6 for c in counts])
    assert list(f.rewatches) == [0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    assert f.rewatch_views == 1 and f.rewatched_seconds == 2
    scenes = {s.id: s for s in f.scenes}
    assert [s.id for s in f.scenes] == ["intro", "total", "cta"]
    assert (scenes["total"].start, scenes["total"].end) == (4.0, 7.5)
    # intro entered by 5 (all that played), continued by full, half (second 4), seeker -> 2 stopped
    assert scenes["intro"].dropoff == pytest.approx(2 / 5)
    # total (seconds 4-7) entered by full and half; continued by full -> half stopped
    assert scenes["total"].dropoff == pytest.approx(1 / 2)
    # cta (seconds 8-9) entered by full and seeker, both completed
    assert scenes["cta"].dropoff == 0.0
    assert scenes["intro"].reached == pytest.approx(5 / 6)


def test_engagement_scores_each_customer_once(store: BeaconStore, make_link) -> None:  # noqa: ANN001
    simulate(store, make_link)
    report = story_report(store.engine, STORY)
    scores = {c.customer_id: c.score for c in report.engagement.top}
    # full: open 5 + half 10 + complete 20 + cta 100; seeker: open + half (5 of 10 s) + complete
    assert scores == {"C0": 135, "C1": 15, "C2": 5, "C3": 35, "C4": 5}
    assert report.engagement.customers == 5
    assert report.engagement.mean_score == pytest.approx((135 + 15 + 5 + 35 + 5) / 5)
    assert report.engagement.top[0].customer_id == "C0"
    assert {c.customer_id: c.views for c in report.engagement.top}["C3"] == 2


def test_a_replayed_batch_changes_nothing(store: BeaconStore, make_link) -> None:  # noqa: ANN001
    link = make_link()
    first = store.ingest(link, batch("view-replay", 0, OPEN, PLAY, *watched(0, 1, 2)))
    before = story_report(store.engine, STORY).figures
    again = store.ingest(link, batch("view-replay", 0, OPEN, PLAY, *watched(0, 1, 2)))
    after = story_report(store.engine, STORY).figures
    assert (first.stored, first.duplicate) == (5, False)
    assert (again.stored, again.duplicate) == (0, True)
    assert before == after
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events_table)).scalar_one() == 5


def test_seconds_past_the_video_end_are_rejected_and_nothing_is_stored(store: BeaconStore, make_link) -> None:  # noqa: ANN001
    link = make_link()
    with pytest.raises(BeaconRejected, match="past the video's end"):
        store.ingest(link, batch("view-late", 0, *watched(0, 11)))
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events_table)).scalar_one() == 0
    assert store.ingest(link, batch("view-late", 0, *watched(0, 10))).stored == 2  # 1 s of player slack


def test_seconds_of_a_progressive_render_count_under_the_variant_it_was_planned_with(
    store: BeaconStore,
    make_link,  # noqa: ANN001
) -> None:
    """A viewer leaves while the MP4 is still being made: every second counts, under the plan's variant."""
    from smartvideo.jobs import render_rows

    link = make_link(variant=None, status="rendering")  # A/B picks the variant when planning
    key = f"{link.id}-landscape"
    # the page opens before the planner has picked the variant: kept pending, not counted under ''
    assert store.ingest(link, batch("view-early", 0, OPEN)).stored == 1
    assert story_report(store.engine, STORY).figures.views == 0
    render_rows.set_plan_facts(store.engine, key, "B", "v1")  # planned, not yet timed
    store.ingest(link, batch("view-early", 1, PLAY, *watched(0, 1)))
    render_rows.set_plan_facts(store.engine, key, "B", "v1", 10.0, SCENES_OF_B)  # every scene timed
    store.ingest(link, batch("view-early", 2, *watched(2, 3)))  # then the tab closes; the MP4 never matters
    report = story_report(store.engine, STORY)
    assert list(report.variants) == ["B"]
    f = report.variants["B"]
    assert f.views == 1 and f.play_rate == 1.0
    assert list(f.retention[:5]) == [1.0, 1.0, 1.0, 1.0, 0.0]
    assert f.avg_watched == pytest.approx(0.4)  # 4 of 10 s, though the length came after seconds 0-1
    assert [s.id for s in f.scenes] == ["hello", "bye"]
    with store.engine.connect() as conn:
        view = conn.execute(select(views_table)).one()
    assert (view.variant, view.device, view.story_version, view.watched_count) == ("B", "landscape", "v1", 4)


def test_pending_batches_are_folded_by_the_report_once_the_render_is_planned(
    store: BeaconStore,
    make_link,  # noqa: ANN001
) -> None:
    from smartvideo.jobs import render_rows

    link = make_link(variant=None, status="rendering")
    store.ingest(link, batch("view-gone", 0, OPEN))  # opened, then closed before the plan existed
    assert store.fold_pending() == 0  # still not planned: stays pending
    render_rows.set_plan_facts(store.engine, f"{link.id}-landscape", "A", "v1")
    assert store.fold_pending() == 1
    report = story_report(store.engine, STORY)
    assert list(report.variants) == ["A"] and report.figures.views == 1
    assert store.fold_pending() == 0


def test_a_view_that_ends_before_its_render_is_timed_is_completed_by_fold_pending(
    store: BeaconStore,
    make_link,  # noqa: ANN001
) -> None:
    from smartvideo.jobs import render_rows

    link = make_link(variant=None, status="rendering")
    key = f"{link.id}-landscape"
    render_rows.set_plan_facts(store.engine, key, "B", "v1")  # variant known, scenes not yet timed
    store.ingest(link, batch("view-short", 0, OPEN, PLAY, *watched(0, 1, 2, 3, 4, 5)))  # then the tab closes
    assert store.fold_pending() == 0  # nothing to learn yet
    render_rows.set_plan_facts(store.engine, key, "B", "v1", 10.0, SCENES_OF_B)
    assert store.fold_pending() == 1
    f = story_report(store.engine, STORY).variants["B"]
    assert f.avg_watched == pytest.approx(0.6)
    assert [(s.id, s.reached) for s in f.scenes] == [("hello", 1.0), ("bye", 0.0)]
    assert store.fold_pending() == 0


def test_chapter_events_are_stored_with_their_scene(store: BeaconStore, make_link) -> None:  # noqa: ANN001
    link = make_link()
    store.ingest(link, batch("view-chapter", 0, OPEN, SimpleEvent("chapter", t=4.0, scene=1)))
    with store.engine.connect() as conn:
        chapter = events_table.c.type == "chapter"
        row = conn.execute(select(events_table.c.t, events_table.c.second).where(chapter)).one()
    assert tuple(row) == (4.0, 1)


def test_a_view_id_cannot_be_reused_by_another_link(store: BeaconStore, make_link) -> None:  # noqa: ANN001
    a, b = make_link(), make_link()
    store.ingest(a, batch("view-shared", 0, OPEN))
    with pytest.raises(BeaconRejected):
        store.ingest(b, batch("view-shared", 1, OPEN))


def test_filters_split_by_variant_device_and_campaign(store: BeaconStore, make_link) -> None:  # noqa: ANN001
    a = make_link(variant="A", campaign="spring")
    b = make_link(variant="B", campaign="autumn", device="portrait")
    store.ingest(a, batch("view-a", 0, OPEN, PLAY, *watched(*range(10)), ENDED))
    store.ingest(b, batch("view-b", 0, OPEN, PLAY, *watched(0, 1), device="portrait"))
    report = story_report(store.engine, STORY)
    assert set(report.variants) == {"A", "B"} and set(report.devices) == {"landscape", "portrait"}
    assert report.variants["A"].completion_rate == 1.0 and report.variants["B"].completion_rate == 0.0
    assert report.comparisons and report.comparisons[0].completion_rate.difference in (1.0, -1.0)
    only_b = story_report(store.engine, STORY, Filters(variant="B"))
    assert only_b.figures.views == 1 and only_b.figures.links == 1
    portrait = story_report(store.engine, STORY, Filters(device="portrait"))
    assert portrait.figures.views == 1 and portrait.figures.links is None
    spring = story_report(store.engine, STORY, Filters(campaign="spring"))
    assert spring.figures.views == 1 and spring.figures.completion_rate == 1.0
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    assert story_report(store.engine, STORY, Filters(date_from=tomorrow)).figures.views == 0


def test_concurrent_batches_of_one_view_count_each_second_once(store: BeaconStore, make_link) -> None:  # noqa: ANN001
    """Eight batches of the same view at once (e.g. sendBeacon racing fetch): no second lost or doubled."""
    import threading

    link = make_link()
    batches = [batch("view-race-1", seq, *watched(*range(seq, seq + 3))) for seq in range(8)]
    threads = [threading.Thread(target=store.ingest, args=(link, b)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    f = story_report(store.engine, STORY).figures
    assert f.views == 1 and f.unique_viewers == 1
    assert list(f.retention) == [1.0] * 10  # seconds 0..9, each once
    assert sum(f.rewatches) == 8 * 3 - 10  # the overlaps are rewatches
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events_table)).scalar_one() == 24


def test_a_customer_who_completes_on_a_second_device_scores_once(store: BeaconStore, make_link) -> None:  # noqa: ANN001
    from analytics_support import add_render

    link = make_link("C-two-devices")
    add_render(store.engine, link, device="portrait")
    store.ingest(link, batch("view-dev-1", 0, OPEN, *watched(0, 1)))
    store.ingest(link, batch("view-dev-2", 0, OPEN, PLAY, *watched(*range(10)), ENDED, device="portrait"))
    report = story_report(store.engine, STORY)
    assert report.engagement.customers == 1 and report.engagement.mean_score == 35
    assert report.engagement.top[0].score == 35 and report.engagement.top[0].views == 2
    assert report.figures.unique_viewers == 1 and report.figures.repeat_views == 1
    assert report.devices["portrait"].completion_rate == 1.0
    assert report.devices["landscape"].completion_rate == 0.0


def test_scene_boundaries_are_never_averaged_across_variants(store: BeaconStore, make_link) -> None:  # noqa: ANN001
    a = make_link("CA", variant="A")
    b = make_link("CB", variant="B", scenes=SCENES_OF_B)
    store.ingest(a, batch("view-a-1", 0, OPEN, PLAY, *watched(0, 1, 2, 3, 4)))
    store.ingest(b, batch("view-b-1", 0, OPEN, PLAY, *watched(0, 1, 2, 3, 4, 5, 6)))
    report = story_report(store.engine, STORY)
    assert report.figures.scenes == ()  # two variants: no blended scene list
    assert [(s.id, s.start, s.end) for s in report.variants["A"].scenes] == [
        ("intro", 0.0, 4.0), ("total", 4.0, 7.5), ("cta", 7.5, 10.0)]
    assert [(s.id, s.start, s.end) for s in report.variants["B"].scenes] == [("hello", 0.0, 6.0), ("bye", 6.0, 10.0)]
    from smartvideo.analytics.formatters import render

    csv_text = render(report, "csv")
    assert "B,hello,0.0,6.0" in csv_text and "A,total,4.0,7.5" in csv_text


def test_channels_and_funnel_count_each_link_once(store: BeaconStore, make_link) -> None:  # noqa: ANN001
    from smartvideo.analytics.formatters import render, report_dict
    from smartvideo.links import mark_delivered

    simulate(store, make_link)  # 5 email links: full, half, quick, seeker (2 views), idle
    sms_seen, sms_unseen = make_link("S1", channel="sms"), make_link("S2", channel="sms")
    store.ingest(sms_seen, batch("view-sms-1", 0, OPEN, PLAY, *watched(0, 1, 2)))
    report = story_report(store.engine, STORY)
    data = report_dict(report)
    assert data["channels"]["email"] == {
        "links": 5, "opens": 5, "plays": 4, "completions": 2, "ctas": 1,
        "open_rate": 1.0, "play_rate": 0.8, "completion_rate": 0.4, "cta_rate": 0.2,
    }
    assert data["channels"]["sms"]["links"] == 2 and data["channels"]["sms"]["opens"] == 1
    funnel = {st["stage"]: st["count"] for st in data["funnel"]}
    # watched fractions per link: full 1.0, half .5, quick .2, seeker .5 (and .1), idle 0, S1 .3
    assert funnel == {"links": 7, "delivered": None, "opened": 6, "played": 5, "watched_25": 4,
                      "watched_50": 3, "watched_75": 2, "watched_100": 2, "cta": 1}
    mark_delivered(store.engine, sms_seen.id)
    mark_delivered(store.engine, sms_unseen.id)
    mark_delivered(store.engine, sms_unseen.id)  # a repeated delivery counts once
    report = story_report(store.engine, STORY)
    assert [(st.stage, st.count) for st in report.funnel][:2] == [("links", 7), ("delivered", 2)]
    for fmt, needle in (("text", "Funnel"), ("csv", "funnel stage"), ("json", '"funnel"')):
        assert needle in render(report, fmt)
    assert "sms" in render(report, "csv") and "Channels" in render(report, "text")


def test_intro_retention_and_clicks_per_scene(store: BeaconStore, make_link) -> None:  # noqa: ANN001
    simulate(store, make_link)  # the full viewer clicked the CTA (no time); 'total' is the personal scene
    extra = make_link("C-clicks")
    store.ingest(extra, batch("view-clicks", 0, OPEN, PLAY, *watched(0, 1), SimpleEvent("chapter", t=7.5, scene=2),
                             *watched(7, 8), SimpleEvent("cta", t=8.2)))
    report = story_report(store.engine, STORY)
    intro = report.intro["A"]
    # 7 views; second 5: full, half(0-4 -> no)... full only -> 1/7; second 4 (first personal scene): full, half
    assert intro["at_5s"] == pytest.approx(1 / 7)
    assert intro["first_personal_scene_at"] == 4.0
    assert intro["at_first_personal_scene"] == pytest.approx(2 / 7)
    clicks = {c["scene"]: (c["cta"], c["chapter"]) for c in report.scene_clicks["A"]}
    assert clicks == {"intro": (0, 0), "total": (0, 0), "cta": (1, 1)}  # a CTA sent with no time is in no scene


def test_the_typical_band_comes_from_other_stories_of_similar_length(store: BeaconStore, engine) -> None:  # noqa: ANN001
    import datetime as dt

    from analytics_support import SECRET, add_render

    from smartvideo.analytics.typical_band import typical_band
    from smartvideo.links import create_link

    def views(story: str, stops: list[int], duration: float = 10.0) -> None:
        for i, stop in enumerate(stops):
            link = create_link(engine, SECRET, story, f"{story}-{i}", dt.timedelta(days=1), variant="A")
            add_render(engine, link, duration=duration)
            store.ingest(link, batch(f"view-{story}-{i}", 0, OPEN, *watched(*range(stop))))

    views("other_a", [10, 10, 10, 10, 10])  # everyone to the end
    views("other_b", [2, 2, 2, 2, 2])  # everyone gone after 2 s
    views("other_long", [3, 3, 3, 3, 3], duration=60.0)  # not of similar length: left out
    views(STORY, [1, 1, 1, 1, 1])  # the story itself: left out
    band = typical_band(engine, STORY, 10)
    assert band is not None and band.curves == 2
    # seconds 0-1: both curves at 1; then one at 1 and one at 0: the 25th/75th percentiles of {0, 1}
    assert band.high == (1.0, 1.0) + (0.75,) * 8
    assert band.low == (1.0, 1.0) + (0.25,) * 8
    assert typical_band(engine, "nothing_like_it", 300) is None
