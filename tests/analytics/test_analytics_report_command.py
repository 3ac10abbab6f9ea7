"""`smartvideo report` prints the report of a story from the configured database."""

from __future__ import annotations

import json

from analytics_support import STORY

from smartvideo.analytics.events import BeaconBatch, SimpleEvent, WatchEvent
from smartvideo.analytics.ingest import BeaconStore
from smartvideo.cli import main


def test_report_command_prints_json_csv_text_and_html(
    engine,
    make_link,
    capsys,
    tmp_path,  # noqa: ANN001
    monkeypatch,
) -> None:
    monkeypatch.setenv("SMARTVIDEO_DATA_DIR", str(tmp_path / "data"))
    url = engine.url.render_as_string(hide_password=False)
    store = BeaconStore(engine)
    link = make_link()
    store.ingest(
        link,
        BeaconBatch("view-cli-1", 0, "landscape", (SimpleEvent("open"), *(WatchEvent(s) for s in range(5)))),
    )
    assert main(["report", "--story", STORY, "--format", "json", "--database", url]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["story"] == STORY and data["views"] == 1 and data["retention"][4] == 1.0
    assert data["scenes"][0]["id"] == "intro"
    assert main(["report", "--story", STORY, "--format", "csv", "--database", url]) == 0
    assert capsys.readouterr().out.startswith("metric,all")
    assert main(["report", "--story", STORY, "--database", url, "--variant", "A"]) == 0
    assert "1 views" in capsys.readouterr().out
    out = tmp_path / "r.html"
    assert main(["report", "--story", STORY, "--format", "html", "--database", url, "--out", str(out)]) == 0
    assert "<svg" in out.read_text()


def test_a_bad_engagement_file_is_one_clear_line(sqlite_engine, capsys, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("SMARTVIDEO_DATA_DIR", str(tmp_path / "data"))
    bad = tmp_path / "points.yaml"
    bad.write_text("points: {likes: 3}\n")
    code = main(["report", "--story", STORY, "--database", str(sqlite_engine.url), "--engagement", str(bad)])
    assert code == 1 and "points may only name" in capsys.readouterr().err


def test_report_for_one_customer_shows_the_heatmap_row_and_events(engine, make_link, capsys, tmp_path,  # noqa: ANN001
                                                                 monkeypatch) -> None:
    monkeypatch.setenv("SMARTVIDEO_DATA_DIR", str(tmp_path / "data"))
    url = engine.url.render_as_string(hide_password=False)
    store = BeaconStore(engine)
    link, other = make_link("C-one", channel="sms"), make_link("C-other")
    watch = [WatchEvent(s) for s in (0, 1, 2, 3, 2, 3, 2)]  # 2 watched three times, 3 twice
    events = (SimpleEvent("open"), SimpleEvent("play", t=0.0), *watch, SimpleEvent("cta", t=3.5))
    store.ingest(link, BeaconBatch("view-one-1", 0, "landscape", events))
    store.ingest(other, BeaconBatch("view-other-1", 0, "landscape", (SimpleEvent("open"),)))
    assert main(["report", "--story", STORY, "--customer", "C-one", "--format", "json", "--database", url]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["customer_id"] == "C-one" and len(data["views"]) == 1
    view = data["views"][0]
    assert view["heatmap"] == [1, 1, 3, 2, 0, 0, 0, 0, 0, 0]
    assert (view["variant"], view["device"], view["channel"], view["cta"]) == ("A", "landscape", "sms", True)
    assert [e["type"] for e in view["events"]] == ["open", "play", "cta"]
    assert main(["report", "--story", STORY, "--customer", "C-one", "--database", url]) == 0
    assert "heatmap |1132......|" in capsys.readouterr().out
