"""The beacon endpoint and the analyst pages, through the real app (create_app) and its database."""

from __future__ import annotations

import json

import pytest
from analytics_support import ANALYST_KEY, STORY

KEY = {"X-Analyst-Key": ANALYST_KEY}


def beacon(client, token: str, view: str, seq: int, events: list, device: str = "landscape"):  # noqa: ANN001, ANN201
    body = json.dumps({"view": view, "seq": seq, "device": device, "events": events})
    return client.post(f"/v/{token}/beacon", data=body, content_type="text/plain;charset=UTF-8")


def watch(*seconds: int) -> list[dict]:
    return [{"type": "watch", "s": s} for s in seconds]


def test_a_beacon_is_stored_and_a_replay_changes_nothing(client, app_link) -> None:  # noqa: ANN001
    link = app_link()
    first = beacon(
        client,
        link.token,
        "view-web-1",
        0,
        [{"type": "open"}, {"type": "play", "t": 0}, *watch(0, 1)],
    )
    assert first.status_code == 200 and first.json == {"stored": 4, "duplicate": False}
    again = beacon(
        client,
        link.token,
        "view-web-1",
        0,
        [{"type": "open"}, {"type": "play", "t": 0}, *watch(0, 1)],
    )
    assert again.status_code == 200 and again.json == {"stored": 0, "duplicate": True}
    report = client.get(f"/reports/{STORY}.json", headers=KEY).json
    assert report["views"] == 1 and report["retention"][:3] == [1.0, 1.0, 0.0]


@pytest.mark.parametrize(
    "body, status",
    [
        (b"not json", 400),
        (b"[1, 2]", 400),
        (
            json.dumps({"view": "v", "seq": 0, "device": "landscape", "events": [{"type": "open"}]}).encode(),
            400,
        ),
        (
            json.dumps(
                {
                    "view": "view-ok-1",
                    "seq": -1,
                    "device": "landscape",
                    "events": [{"type": "open"}],
                }
            ).encode(),
            400,
        ),
        (
            json.dumps({"view": "view-ok-1", "seq": 0, "device": "landscape", "events": []}).encode(),
            400,
        ),
        (
            json.dumps({"view": "view-ok-1", "seq": 0, "device": "tv", "events": [{"type": "open"}]}).encode(),
            400,
        ),
        (
            json.dumps(
                {
                    "view": "view-ok-1",
                    "seq": 0,
                    "device": "landscape",
                    "events": [{"type": "dance"}],
                }
            ).encode(),
            400,
        ),
        (
            json.dumps(
                {
                    "view": "view-ok-1",
                    "seq": 0,
                    "device": "landscape",
                    "events": [{"type": "watch", "s": 1.5}],
                }
            ).encode(),
            400,
        ),
        (
            json.dumps(
                {
                    "view": "view-ok-1",
                    "seq": 0,
                    "device": "landscape",
                    "events": [{"type": "watch", "s": 500}],
                }
            ).encode(),
            400,
        ),
        (
            json.dumps(
                {
                    "view": "view-ok-1",
                    "seq": 0,
                    "device": "landscape",
                    "events": [{"type": "open"}] * 601,
                }
            ).encode(),
            413,
        ),
        (b"{" + b" " * 70_000 + b"}", 413),
    ],
)
def test_malformed_and_oversized_beacons_get_clean_json_errors(client, app_link, body: bytes, status: int) -> None:  # noqa: ANN001
    link = app_link()
    response = client.post(f"/v/{link.token}/beacon", data=body, content_type="application/json")
    assert response.status_code == status
    assert response.json["status"] == status and response.json["error"]
    report = client.get(f"/reports/{STORY}.json", headers=KEY).json
    assert report["views"] == 0  # nothing stored


def test_an_unknown_or_forged_token_is_404(client, app_link) -> None:  # noqa: ANN001
    link = app_link()
    forged = link.token[:-2] + ("AA" if link.token[-2:] != "AA" else "BB")
    response = beacon(client, forged, "view-x-12345", 0, [{"type": "open"}])
    assert response.status_code == 404 and response.json["status"] == 404


def test_reports_need_the_analyst_key(client, app_link) -> None:  # noqa: ANN001
    assert client.get(f"/reports/{STORY}.json").status_code == 401
    assert client.get(f"/reports/{STORY}.json", headers={"X-Analyst-Key": "wrong"}).status_code == 401
    page = client.get(f"/reports/{STORY}")
    assert page.status_code == 302 and "/reports/login" in page.headers["Location"]


def _login_csrf(client) -> str:  # noqa: ANN001
    import re

    form = client.get("/reports/login").get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', form).group(1)


def test_the_login_form_opens_a_session(client, app_link) -> None:  # noqa: ANN001
    csrf = _login_csrf(client)
    assert client.post("/reports/login", data={"key": "wrong", "csrf": csrf}).status_code == 401
    response = client.post("/reports/login",
                           data={"key": ANALYST_KEY, "next": f"/reports/{STORY}", "csrf": csrf})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/reports/{STORY}")
    assert client.get(f"/reports/{STORY}.json").status_code == 200


def test_the_login_form_refuses_a_post_without_its_token(client, app_link) -> None:  # noqa: ANN001
    response = client.post("/reports/login", data={"key": ANALYST_KEY, "next": f"/reports/{STORY}"})
    assert response.status_code == 401
    assert client.get(f"/reports/{STORY}.json").status_code == 401


def test_the_report_page_draws_the_curve_with_scene_boundaries(client, app_link) -> None:  # noqa: ANN001
    a, b = app_link(variant="A"), app_link(variant="B", device="portrait")
    beacon(
        client,
        a.token,
        "view-page-a",
        0,
        [{"type": "open"}, *watch(*range(10)), {"type": "ended", "t": 10}],
    )
    beacon(client, b.token, "view-page-b", 0, [{"type": "open"}, *watch(0, 1, 2)], device="portrait")
    html = client.get(f"/reports/{STORY}", headers=KEY).get_data(as_text=True)
    assert "<svg" in html and html.count('class="scene-boundary"') >= 3
    assert 'id="comparisons"' in html and "p-value" in html and 'id="devices"' in html
    assert 'id="funnel"' in html and 'id="channels"' in html and 'id="typical-band"' in html
    data = client.get(f"/reports/{STORY}.json?variant=B", headers=KEY).json
    assert data["views"] == 1 and data["filters"]["variant"] == "B"
    for key in (
        "story",
        "views",
        "open_rate",
        "play_rate",
        "completion_rate",
        "avg_watched",
        "retention",
        "scenes",
        "cta_rate",
        "variants",
        "engagement",
        "links",
        "unique_viewers",
        "devices",
    ):
        assert key in data
    csv_text = client.get(f"/reports/{STORY}.csv", headers=KEY).get_data(as_text=True)
    assert (
        csv_text.startswith("metric,all,variant A,variant B,device landscape") and "second,scene,rewatches" in csv_text
    )
    assert client.get(f"/reports/{STORY}.json?from=yesterday", headers=KEY).status_code == 400


def test_an_expired_link_is_410(app, client) -> None:  # noqa: ANN001
    import datetime as dt

    from analytics_support import SECRET

    from smartvideo.links import create_link

    engine = app.extensions["smartvideo"].engine
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    link = create_link(engine, SECRET, STORY, "C-old", dt.timedelta(days=1), now=past)
    response = beacon(client, link.token, "view-old-123", 0, [{"type": "open"}])
    assert response.status_code == 410 and response.json["status"] == 410


def test_the_api_report_and_the_views_export_need_the_analyst_key(client, app_link) -> None:  # noqa: ANN001
    link = app_link(customer="C-export")
    beacon(client, link.token, "view-export-1", 0, [{"type": "open"}, *watch(0, 1, 2)])
    assert client.get(f"/api/v1/reports/{STORY}").status_code == 401
    data = client.get(f"/api/v1/reports/{STORY}", headers=KEY).json
    assert data["views"] == 1 and "funnel" in data and "channels" in data
    assert client.get(f"/reports/{STORY}/views.csv").status_code in (401, 302)
    rows = client.get(f"/reports/{STORY}/views.csv", headers=KEY).get_data(as_text=True).splitlines()
    assert rows[0].startswith("view_id,customer_id,variant,device,channel")
    assert len(rows) == 2 and rows[1].startswith("view-export-1,C-export,A,landscape,")
    one = client.get(f"/reports/{STORY}/customers/C-export.json", headers=KEY).json
    assert one["views"][0]["heatmap"][:4] == [1, 1, 1, 0]


def test_the_beacon_carries_the_security_headers_and_logs_its_link_not_its_token(client, app_link, caplog) -> None:  # noqa: ANN001
    import logging

    link = app_link()
    with caplog.at_level(logging.INFO, logger="smartvideo.requests"):
        ok = beacon(client, link.token, "view-headers-1", 0, [{"type": "open"}])
        bad = client.post(f"/v/{link.token}/beacon", data=b"not json", content_type="text/plain")
    for response in (ok, bad):
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    lines = [r.getMessage() for r in caplog.records if r.name == "smartvideo.requests"]
    # An accepted beacon is tallied (request_log.BeaconTally), a refused one gets its line.
    assert len(lines) == 1 and lines[0].startswith(f"POST /v/[link {link.id}]/beacon 400 ")
    assert not any(link.token in line for line in lines)
    assert client.get(f"/v/{link.token}/beacon").status_code == 405  # only POST is a beacon


def test_accepted_beacons_are_logged_as_one_tally_line_per_interval(caplog) -> None:  # noqa: ANN001
    import logging
    import time

    from smartvideo.web.request_log import BeaconTally

    tally = BeaconTally(every=0.2)
    with caplog.at_level(logging.INFO, logger="smartvideo.requests"):
        for duplicate in (False, True, False):
            tally.accepted(duplicate)
        assert caplog.records == []  # within the interval: counted, not written
        time.sleep(0.25)
        tally.accepted(False)
    lines = [r.getMessage() for r in caplog.records if r.name == "smartvideo.requests"]
    assert len(lines) == 1 and lines[0].startswith("beacons: 4 accepted (1 duplicates) in the last ")
