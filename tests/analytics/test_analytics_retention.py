"""Retention maths, written first: simulated viewers with known watch patterns give exact figures."""

from __future__ import annotations

import math

import pytest

from smartvideo.analytics.events import SimpleEvent, WatchEvent
from smartvideo.analytics.retention import (
    SceneSpan,
    proportion_test,
    retention_curve,
    scene_dropoff,
    scene_seconds,
    seconds_in,
    welch_test,
)
from smartvideo.analytics.view_state import ViewState, fold_events

SCENES = (SceneSpan("intro", 0.0, 4.0), SceneSpan("total", 4.0, 7.5), SceneSpan("cta", 7.5, 10.0))


def watch(*seconds: int) -> list:
    return [WatchEvent(s) for s in seconds]


def test_a_video_of_nine_and_a_half_seconds_has_ten_seconds() -> None:
    assert seconds_in(9.5) == 10
    assert seconds_in(10.0) == 10
    assert seconds_in(0.2) == 1


def test_each_scene_owns_the_seconds_that_start_inside_it() -> None:
    assert [scene_seconds(s, 10) for s in SCENES] == [range(0, 4), range(4, 8), range(8, 10)]


def test_retention_is_the_share_of_views_that_watched_each_second() -> None:
    counts = [4, 4, 3, 2, 1]
    assert retention_curve(counts, views=4) == [1.0, 1.0, 0.75, 0.5, 0.25]
    assert retention_curve(counts, views=0) == [0.0] * 5


def test_a_second_counts_once_per_view_and_rewatches_apart() -> None:
    state, delta = fold_events(ViewState.empty(), watch(0, 1, 2, 1, 2, 2), 10, SCENES)
    assert delta.new_seconds == (0, 1, 2)
    assert dict(delta.rewatched) == {1: 1, 2: 2}
    assert state.watched_count == 3 and state.rewatches == 3
    state2, delta2 = fold_events(state, watch(2, 3), 10, SCENES)
    assert delta2.new_seconds == (3,) and dict(delta2.rewatched) == {2: 1}
    assert delta2.became_rewatch_view is False  # it already was one


def test_replaying_the_same_seconds_in_a_later_batch_adds_no_retention() -> None:
    state, _ = fold_events(ViewState.empty(), watch(0, 1), 10, SCENES)
    _, delta = fold_events(state, watch(0, 1), 10, SCENES)
    assert delta.new_seconds == ()


def test_completion_comes_from_the_last_second_or_the_ended_event() -> None:
    _, by_second = fold_events(ViewState.empty(), watch(9), 10, SCENES)
    _, by_event = fold_events(ViewState.empty(), [SimpleEvent("ended", t=10.0)], 10, SCENES)
    _, neither = fold_events(ViewState.empty(), watch(0, 1, 8), 10, SCENES)
    assert by_second.completed and by_event.completed and not neither.completed


def test_scene_masks_track_entered_and_continued_scenes() -> None:
    # watched intro and one second of total: entered 0 and 1, continued past intro only
    state, delta = fold_events(ViewState.empty(), watch(0, 1, 2, 3, 4), 10, SCENES)
    assert delta.entered == 0b011 and delta.continued == 0b001
    # a seek to the end completes: cta entered and continued (completed), total continued
    state, delta = fold_events(state, watch(9) + [SimpleEvent("ended", t=10.0)], 10, SCENES)
    assert delta.entered == 0b100 and delta.continued == 0b110
    assert state.entered == 0b111 and state.continued == 0b111


def test_half_watched_flips_once_when_half_the_seconds_are_seen() -> None:
    state, delta = fold_events(ViewState.empty(), watch(0, 1, 2, 3), 10, SCENES)
    assert not delta.became_half
    state, delta = fold_events(state, watch(4), 10, SCENES)
    assert delta.became_half
    _, delta = fold_events(state, watch(5), 10, SCENES)
    assert not delta.became_half


def test_watched_fraction_delta_sums_to_the_final_fraction() -> None:
    state, d1 = fold_events(ViewState.empty(), watch(0, 1, 2), 10, SCENES)
    state, d2 = fold_events(state, watch(3, 4, 5, 6), 10, SCENES)
    assert d1.watched_fraction + d2.watched_fraction == pytest.approx(0.7)
    assert d1.watched_fraction_sq + d2.watched_fraction_sq == pytest.approx(0.49)


def test_flags_flip_only_the_first_time() -> None:
    events = [
        SimpleEvent("open"),
        SimpleEvent("play", t=0.0),
        SimpleEvent("cta"),
        SimpleEvent("cta"),
    ]
    state, delta = fold_events(ViewState.empty(), events, 10, SCENES)
    assert (delta.opened, delta.played, delta.cta) == (True, True, True)
    _, delta = fold_events(state, events, 10, SCENES)
    assert (delta.opened, delta.played, delta.cta) == (False, False, False)


def test_scene_dropoff_is_the_share_that_entered_and_went_no_further() -> None:
    drops = scene_dropoff(entered=[10, 8, 4], continued=[8, 5, 3])
    assert drops == [pytest.approx(0.2), pytest.approx(3 / 8), pytest.approx(0.25)]
    assert scene_dropoff(entered=[0], continued=[0]) == [0.0]


def test_a_real_difference_in_proportions_is_significant() -> None:
    strong = proportion_test(600, 1000, 500, 1000)
    assert strong.difference == pytest.approx(0.1)
    assert strong.p_value < 0.001
    weak = proportion_test(6, 10, 5, 10)
    assert weak.p_value > 0.5
    none = proportion_test(0, 0, 5, 10)
    assert math.isnan(none.p_value)


def test_welch_test_on_means_from_sums() -> None:
    # group a: values 0.5 x100, group b: 0.4 x100 with some spread
    a = welch_test(n_a=100, sum_a=50.0, sumsq_a=100 * 0.26, n_b=100, sum_b=40.0, sumsq_b=100 * 0.17)
    assert a.difference == pytest.approx(0.1)
    assert 0 < a.p_value < 0.05
