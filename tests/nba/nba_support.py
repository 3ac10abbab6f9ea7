"""Constants and helpers the nba tests share (imported by name: tests/nba is on sys.path)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import Engine

from smartvideo.analytics.events import parse_beacon
from smartvideo.analytics.ingest import BeaconStore
from smartvideo.links import Link

ROOT = Path(__file__).resolve().parents[2]
SECRET = "nba-test-secret-0123456789abcdef0123"
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def send_beacon(sql_engine: Engine, link: Link, events: list[dict], view: str = "view-0001", seq: int = 0) -> None:
    """A real beacon batch through the analytics store, as the player sends it."""
    body = json.dumps({"view": view, "seq": seq, "device": "landscape", "events": events}).encode()
    BeaconStore(sql_engine).ingest(link, parse_beacon(body))
