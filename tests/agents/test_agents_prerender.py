"""prerender=true starts the real render at once, so the video is ready when the customer clicks."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from agents_support import MINI_ROOT, SECRET

from smartvideo.links import resolve_link
from smartvideo.render.devices import device_profile


def wait_until_made(services: Any, link: Any, device: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = services.renders.status(link, device_profile(device))
        if status["status"] in ("ready", "failed"):
            return status
        time.sleep(0.25)
    raise AssertionError(f"render not finished after {timeout} s: {status}")


def test_without_prerender_nothing_is_rendered_before_the_click(
    client: Any, services: Any, auth: dict[str, str]
) -> None:
    from smartvideo.storage.renders_table import renders_table

    response = client.post(
        "/api/v1/videos", json={"customer_id": "C1001", "story": "first_bill"}, headers=auth
    )
    assert response.get_json()["status"] == "on_click"
    with services.engine.connect() as conn:
        assert conn.execute(renders_table.select()).first() is None


@pytest.fixture
def mini_app(app_config: dict[str, Any]) -> Any:
    from smartvideo.web.app_factory import create_app

    application = create_app({**app_config, "content_root": MINI_ROOT, "render_time_limit": 120})
    yield application
    application.extensions["smartvideo"].close()


@pytest.mark.slow
def test_prerender_starts_the_render_and_the_video_gets_made(mini_app: Any) -> None:
    from smartvideo.agents.keys import issue_key

    services = mini_app.extensions["smartvideo"]
    key = issue_key(services.engine, "Alice Agent").plaintext
    response = mini_app.test_client().post(
        "/api/v1/videos",
        json={"customer_id": "C1001", "story": "mini", "prerender": True, "device": "landscape"},
        headers={"X-API-Key": key},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (
        body["status"] in ("queued", "rendering", "ready")
        and body["render"]["status"] == body["status"]
    )
    link = resolve_link(services.engine, SECRET, body["url"].rsplit("/", 1)[1])
    assert wait_until_made(services, link, "landscape")["status"] == "ready"
    video = services.renders.video_path(link, device_profile("landscape"))
    assert video is not None and Path(video).stat().st_size > 10_000


@pytest.mark.slow
def test_campaign_prerender_waits_until_the_videos_are_made(
    tmp_path: Path, shared_cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    import csv
    import json

    from smartvideo.cli import main

    for name, value in {
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": SECRET,
        "CACHE_DIR": str(shared_cache),
        "CONTENT_ROOT": str(MINI_ROOT),
    }.items():
        monkeypatch.setenv(f"SMARTVIDEO_{name}", value)
    data = tmp_path / "list.json"
    data.write_text(json.dumps([{"id": "C1002"}]), encoding="utf-8")
    out = tmp_path / "links.csv"
    assert (
        main(
            [
                "campaign",
                "--story",
                "mini",
                "--data",
                str(data),
                "--channel",
                "none",
                "--prerender",
                "--device",
                "lite",
                "--out",
                str(out),
                "-q",
            ]
        )
        == 0
    )
    [row] = list(csv.DictReader(out.open()))
    assert row["status"] == "created" and row["render"] == "ready"  # what --prerender waited for
    videos = list((tmp_path / "data" / "videos").rglob("*.mp4"))
    assert len(videos) == 1 and videos[0].stat().st_size > 10_000
