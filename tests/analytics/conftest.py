"""Analytics fixtures: migrated engines (SQLite file and the real PostgreSQL), links with ready renders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from analytics_support import ANALYST_KEY, SECRET, STORY, add_render
from sqlalchemy import Engine

from smartvideo.analytics.ingest import BeaconStore
from smartvideo.links import Link, create_link
from smartvideo.storage.database import make_engine, upgrade_schema
from smartvideo.storage.renders_table import renders_table  # noqa: F401


@pytest.fixture
def sqlite_engine(tmp_path) -> Iterator[Engine]:  # noqa: ANN001
    engine = make_engine(f"sqlite:///{tmp_path / 'analytics.db'}")
    upgrade_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    upgrade_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """Every store test runs on both databases."""
    return request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")


@pytest.fixture
def store(engine: Engine) -> BeaconStore:
    return BeaconStore(engine)


@pytest.fixture
def make_link(engine: Engine) -> Callable[..., Link]:
    """A stored link with a ready 10-second render of three scenes (landscape)."""
    counter = iter(range(1_000_000))

    def make(
        customer: str | None = None,
        variant: str | None = "A",
        campaign: str | None = "spring",
        render: bool = True,
        channel: str = "email",
        **render_options,
    ) -> Link:  # noqa: ANN003
        link = create_link(
            engine,
            SECRET,
            STORY,
            customer or f"C{next(counter):05d}",
            dt.timedelta(days=7),
            variant=variant,
            campaign=campaign,
            channel=channel,
        )
        if render:
            add_render(engine, link, **render_options)
        return link

    return make


@pytest.fixture
def app(tmp_path, content_root):  # noqa: ANN001, ANN201
    """The real app (create_app) on its own SQLite file, with an analyst key."""
    from smartvideo.web.app_factory import create_app

    app = create_app(
        {
            "data_dir": tmp_path / "data",
            "secret_key": SECRET,
            "analyst_key": ANALYST_KEY,
            "content_root": content_root,
            "cache_dir": tmp_path / "cache",
        }
    )
    app.config["TESTING"] = True
    yield app
    app.extensions["smartvideo"].close()


@pytest.fixture
def client(app):  # noqa: ANN001, ANN201
    return app.test_client()


@pytest.fixture
def app_link(app):  # noqa: ANN001, ANN201
    """Make links (with a ready 10 s render) in the app's database."""
    engine = app.extensions["smartvideo"].engine
    counter = iter(range(1_000_000))

    def make(customer: str | None = None, variant: str | None = "A", **render_options) -> Link:  # noqa: ANN003
        link = create_link(
            engine,
            SECRET,
            STORY,
            customer or f"W{next(counter):05d}",
            dt.timedelta(days=7),
            variant=variant,
            campaign="spring",
        )
        add_render(engine, link, **render_options)
        return link

    return make
