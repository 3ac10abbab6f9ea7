"""Fixtures shared by every test area: services (real Redis, PostgreSQL, Chromium) and content.

A missing service skips its tests with the reason, except under CI=true, where it fails them:
CI must prove the real thing.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"


def need(available: bool, reason: str) -> None:
    """Skip (locally) or fail (under CI=true) when a real service is missing."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required)")
    pytest.skip(reason)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def content_root() -> Path:
    """The repository's own scenes, voices, assets and data."""
    return ROOT


@pytest.fixture
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One voice/segment cache for the session, so slow tests reuse each other's work."""
    return tmp_path_factory.mktemp("shared-cache")


@pytest.fixture(scope="session")
def redis_db() -> Iterator[str]:
    """A Redis database number of our own for this test session.

    Claimed in db 0 with SET NX, so two test runs on one machine (a developer's and CI's) never
    flush each other's queues; SMARTVIDEO_TEST_REDIS names a fixed URL instead.
    """
    need(_port_open("127.0.0.1", 6379), "no Redis server on 127.0.0.1:6379")
    import redis

    fixed = os.environ.get("SMARTVIDEO_TEST_REDIS")
    if fixed:
        yield fixed
        return
    claims = redis.Redis(host="127.0.0.1", port=6379, db=0)
    claimed = None
    for number in range(1, 16):
        if claims.set(f"smartvideo-tests:db{number}", os.getpid(), nx=True, ex=3 * 3600):
            claimed = number
            break
    try:
        yield f"redis://127.0.0.1:6379/{claimed if claimed is not None else 11}"
    finally:
        if claimed is not None:
            claims.delete(f"smartvideo-tests:db{claimed}")
        claims.close()


@pytest.fixture
def redis_url(redis_db: str) -> Iterator[str]:
    """A real Redis database of our own, flushed before and after the test."""
    import redis

    client = redis.Redis.from_url(redis_db)
    client.flushdb()
    yield redis_db
    client.flushdb()
    client.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema in the real PostgreSQL `test` database, dropped afterwards."""
    need(_port_open("127.0.0.1", 5432), "no PostgreSQL server on 127.0.0.1:5432")
    import sqlalchemy as sa

    base = os.environ.get("SMARTVIDEO_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield f"{base}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium (installed by .ci/run)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    need(path is not None, "no chromium browser installed (apt-get install chromium)")
    assert path is not None
    return path


@pytest.fixture
def browser(chromium_path: str, tmp_path: Path) -> Iterator[object]:
    """A real headless Chromium with its own, new profile (a persistent context gives it its own
    --user-data-dir), launched with the flags the browser benchmark uses."""
    import importlib.util

    need(importlib.util.find_spec("playwright") is not None, "playwright is not installed (pip install playwright)")
    from playwright.sync_api import sync_playwright

    from smartvideo.bench.browser import CHROMIUM_FLAGS

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=chromium_path, headless=True,
            args=CHROMIUM_FLAGS, ignore_default_args=["--headless"])
        yield context
        context.close()
