"""Scaled mode: a real Celery worker learns from beacon outcomes in the shared database."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from nba_support import ROOT, SECRET, send_beacon

from smartvideo.links import create_link, link_by_id
from smartvideo.nba import store
from smartvideo.nba.engine import DecisionEngine
from smartvideo.render.renderer import Renderer
from smartvideo.settings import RenderSettings
from smartvideo.storage.database import engine_for


@pytest.mark.redis
def test_a_celery_worker_learns_the_outcomes(tmp_path: Path, redis_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTVIDEO_")}
    env.update({"SMARTVIDEO_DATA_DIR": str(tmp_path), "SMARTVIDEO_CONTENT_ROOT": str(ROOT),
                "SMARTVIDEO_SECRET_KEY": SECRET, "SMARTVIDEO_BROKER_URL": redis_url,
                "SMARTVIDEO_NBA_LEARN_SECONDS": "0.2", "PYTHONPATH": str(ROOT)})
    sql = engine_for(f"sqlite:///{tmp_path / 'smartvideo.db'}")
    engine = DecisionEngine.from_renderer(sql, Renderer(RenderSettings(ROOT, tmp_path, tmp_path)))
    link = create_link(sql, SECRET, "", "C1003", dt.timedelta(days=7), decision="next_video")
    link = engine.choose_for_link(link, SECRET)
    send_beacon(sql, link_by_id(sql, SECRET, link.id), [{"type": "cta", "t": 1.0}])
    log = tmp_path / "worker.log"
    with log.open("ab") as handle:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "worker", "worker", "--pool", "solo", "--without-gossip",
             "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while store.model_version(sql, "next_video") == 0 and time.monotonic() < deadline:
            assert worker.poll() is None, log.read_text()[-3000:]
            time.sleep(0.2)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=20)
        engine.close()
    row = store.decision_for_link(sql, link.id)
    assert row is not None and row["outcome"] == "cta", log.read_text()[-3000:]
