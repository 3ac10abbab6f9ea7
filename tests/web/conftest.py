"""Fixtures for delivery tests: a tiny content root, apps in embedded and scaled mode, a real
Celery worker process on the real Redis, and a real HTTP server for the browser.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from web_support import ROOT, SECRET, WorkerProcess

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A content root with the 2-scene `tiny` story, sharing the repo's assets, voices and pages."""
    root = tmp_path_factory.mktemp("tiny-content")
    shutil.copytree(FIXTURES / "content", root, dirs_exist_ok=True)
    (root / "scenes" / "themes").symlink_to(ROOT / "scenes" / "themes")
    for name in ("assets", "voices", "templates"):
        (root / name).symlink_to(ROOT / name)
    return root


@pytest.fixture
def web_config(tmp_path: Path, tiny_root: Path, shared_cache: Path) -> dict[str, Any]:
    return {"data_dir": tmp_path / "data", "cache_dir": shared_cache, "content_root": tiny_root,
            "secret_key": SECRET, "render_time_limit": 90, "broker_url": "", "redis_url": ""}


@pytest.fixture
def worker_factory(web_config: dict[str, Any], redis_url: str,
                   tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Starts real Celery workers sharing the test's SQL database, media folder and Redis;
    `worker_factory(SMARTVIDEO_X="...")` starts one with changed settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTVIDEO_")}
    env.update({"SMARTVIDEO_DATA_DIR": str(web_config["data_dir"]),
                "SMARTVIDEO_CACHE_DIR": str(web_config["cache_dir"]),
                "SMARTVIDEO_CONTENT_ROOT": str(web_config["content_root"]), "SMARTVIDEO_SECRET_KEY": SECRET,
                "SMARTVIDEO_BROKER_URL": redis_url, "SMARTVIDEO_RENDER_TIME_LIMIT": "90",
                # Short, so a killed worker's message reaches the next worker within the test.
                "SMARTVIDEO_VISIBILITY_TIMEOUT": "4", "PYTHONPATH": str(ROOT)})
    workers: list[WorkerProcess] = []

    def start(**changes: str) -> WorkerProcess:
        worker = WorkerProcess({**env, **changes}, tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture(params=["embedded", pytest.param("scaled", marks=pytest.mark.redis)])
def mode(request: pytest.FixtureRequest) -> str:
    """Every delivery test runs in both modes (scaled: `-m "not redis"` leaves it out)."""
    return request.param


@pytest.fixture
def app(mode: str, web_config: dict[str, Any], request: pytest.FixtureRequest):  # noqa: ANN201
    """The web app in either mode; scaled mode gets the real Redis and one real worker process."""
    from smartvideo.web.app_factory import create_app

    config = dict(web_config)
    if mode == "scaled":
        redis_url = request.getfixturevalue("redis_url")
        config.update(broker_url=redis_url)
        request.getfixturevalue("worker_factory")()
    application = create_app(config)
    application.config["TESTING"] = True
    yield application
    application.extensions["smartvideo"].close()


@pytest.fixture
def embedded_app(web_config: dict[str, Any]):  # noqa: ANN201
    from smartvideo.web.app_factory import create_app

    application = create_app(web_config)
    application.config["TESTING"] = True
    yield application
    application.extensions["smartvideo"].close()


@pytest.fixture
def make_link(web_config: dict[str, Any]) -> Callable[..., Any]:
    """make_link(app, customer="T1", ttl=1 day, now=None) -> Link (stored in the app's database)."""
    from smartvideo.links import create_link

    def make(application: Any, customer: str = "T1", ttl: dt.timedelta = dt.timedelta(days=1),
             now: dt.datetime | None = None, story: str = "tiny") -> Any:
        services = application.extensions["smartvideo"]
        return create_link(services.engine, services.config.secret_key, story, customer, ttl, now=now)

    return make
