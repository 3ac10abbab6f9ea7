"""Fixtures for next-best-action tests: the shipped content, a migrated SQL database."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from nba_support import ROOT
from sqlalchemy import Engine

from smartvideo.data_sources import FileCustomerSource
from smartvideo.nba.engine import DecisionEngine
from smartvideo.render.scene_loader import Library, load_library
from smartvideo.storage.database import make_engine, upgrade_schema


@pytest.fixture(scope="session")
def library() -> Library:
    return load_library(ROOT)


@pytest.fixture
def sql(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'nba.db'}")
    upgrade_schema(engine)
    yield engine
    engine.dispose()


def _sources() -> Callable[[Path], FileCustomerSource]:
    cache: dict[Path, FileCustomerSource] = {}

    def source(path: Path) -> FileCustomerSource:
        return cache.setdefault(path, FileCustomerSource(path))

    return source


@pytest.fixture
def make_engine_for(library: Library) -> Callable[..., DecisionEngine]:
    """A DecisionEngine on a database, as a fresh process would make it (no model cached)."""

    def make(sql_engine: Engine, seed: int = 1) -> DecisionEngine:
        return DecisionEngine(sql_engine, library, _sources(), refresh=0.0, rng=random.Random(seed))

    return make
