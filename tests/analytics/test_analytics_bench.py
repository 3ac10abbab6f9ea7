"""The analytics benchmarks run (small) and keep their promises: nothing lost, reports from counters."""

from __future__ import annotations

import pytest

from smartvideo.bench.analytics import bench_beacon_ingest, bench_report_at_scale


@pytest.mark.parametrize("server, folder", [("waitress", "thread"), ("granian", "thread"), ("granian", "process")])
def test_ingest_benchmark_loses_nothing_and_answers_replays_as_duplicates(server: str, folder: str) -> None:
    figure = bench_beacon_ingest(events=1500, clients=2, server=server, folder=folder)[0]
    assert figure["name"] == "beacon_events_per_s" and figure["unit"] == "events/s"
    assert figure["events_sent"] == figure["events_acked"] == figure["events_stored"]
    assert figure["lost"] == 0 and figure["errors"] == 0
    assert figure["replays_answered_duplicate"] == figure["replayed_batches"]
    assert figure["value"] > 0 and figure["server"].startswith(server)
    assert figure["folded_events_per_s"] > 0 and figure["fold_lag_s"] >= 0
    assert ("analytics-fold" in figure["folder"]) == (folder == "process")


def test_report_benchmark_counts_every_seeded_view() -> None:
    figures = bench_report_at_scale(n_views=20_000, runs=1)
    assert figures[0]["views"] == 20_000 and figures[0]["value"] < 1000
