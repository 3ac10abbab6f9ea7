"""Scaled mode with --prerender: the campaign's tasks start the renders on a real Celery worker
(real Redis, real ffmpeg), and the run waits until the videos are made, so the links CSV shows
each one's real render state, as an embedded run's does.

A module of its own: its worker serves the small test content, and must not share the Redis
queue with the other fan-out module's workers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from agents_support import MINI_ROOT, PUBLIC_URL, SECRET, celery_workers, read_csv

from smartvideo.bench.campaign import SmtpSink
from smartvideo.cli import main

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.fixture(scope="module")
def mini_worker(
    tmp_path_factory: pytest.TempPathFactory, redis_db: str, shared_cache: Path
) -> Iterator[dict[str, Any]]:
    import redis

    redis.Redis.from_url(redis_db).flushdb()
    tmp = tmp_path_factory.mktemp("fanout-prerender")
    with SmtpSink() as sink:
        env = {
            "SMARTVIDEO_DATA_DIR": str(tmp / "data"),
            "SMARTVIDEO_CACHE_DIR": str(shared_cache),
            "SMARTVIDEO_CONTENT_ROOT": str(MINI_ROOT),
            "SMARTVIDEO_SECRET_KEY": SECRET,
            "SMARTVIDEO_PUBLIC_URL": PUBLIC_URL,
            "SMARTVIDEO_BROKER_URL": redis_db,
            "SMARTVIDEO_SMTP_URL": sink.url,
        }
        with celery_workers(env, tmp, 1, "prerender"):
            yield {"env": env, "sink": sink, "data_dir": tmp / "data"}


def test_a_scaled_prerender_campaign_waits_for_the_workers_renders(
    mini_worker: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in mini_worker["env"].items():
        monkeypatch.setenv(name, value)
    data = tmp_path / "list.json"
    data.write_text(json.dumps([{"id": "C1001"}, {"id": "C1002"}]), encoding="utf-8")
    out = tmp_path / "links.csv"
    args = ["campaign", "--story", "mini", "--data", str(data), "--channel", "email", "--prerender",
            "--device", "lite", "--name", "scaled-prerender", "--out", str(out), "-q"]
    assert main(args) == 0
    rows = read_csv(out)
    assert [(r["customer_id"], r["status"], r["render"]) for r in rows] == [
        ("C1001", "sent", "ready"),
        ("C1002", "sent", "ready"),
    ]  # what the run waited to see, not the `queued` of the moment the render was asked for
    assert len(mini_worker["sink"].recipients) == 2
    videos = list((mini_worker["data_dir"] / "videos").rglob("*.mp4"))
    assert len(videos) == 2 and all(v.stat().st_size > 10_000 for v in videos)
