"""Constants and helpers the nba tests share (imported by name: tests/nba is on sys.path)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import Engine, insert, select

from smartvideo.analytics.events import parse_beacon
from smartvideo.analytics.ingest import BeaconStore
from smartvideo.links import Link
from smartvideo.storage.renders_table import renders_table

ROOT = Path(__file__).resolve().parents[2]
SECRET = "nba-test-secret-0123456789abcdef0123"
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def add_planned_render(sql_engine: Engine, link: Link, device: str = "landscape") -> None:
    """The renders row a click makes once the video is planned (analytics counts views by it)."""
    now = dt.datetime.now(dt.UTC)
    with sql_engine.begin() as conn:
        if conn.execute(select(renders_table.c.id).where(renders_table.c.id == f"{link.id}-{device}")).first():
            return
        conn.execute(insert(renders_table).values(
            id=f"{link.id}-{device}", link_id=link.id, story=link.story, device=device,
            variant=link.variant or "default", status="ready", progress=1.0, duration=30.0, scenes="[]",
            created_at=now, finished_at=now))


OTHERS_THAN_POLICY = {"bill_explainer": "first_bill", "upgrade": "upgrade_offer", "welcome": "welcome"}


def seen_before(sql_engine: Engine, customer: str, at: dt.datetime, shown: dict[str, str] = OTHERS_THAN_POLICY) -> None:
    """Decisions already shown to the customer (each with a link), as the decision log holds them:
    by default the three actions other than the policy, a day ago, so their contact policies
    (cool-down, at most once a year) hold them back and only the policy action may be shown."""
    from smartvideo.nba.store import decisions_table

    with sql_engine.begin() as conn:
        for n, (action, story) in enumerate(shown.items()):
            conn.execute(insert(decisions_table).values(
                id=f"seen-{customer}-{n}", decision="next_video", customer_id=customer, link_id=f"seen{customer}{n}",
                action=action, story=story, score=1.0, propensity=1.0, explored=False, actions="[]", features="{}",
                scores="[]", created_at=at))


def send_beacon(sql_engine: Engine, link: Link, events: list[dict], view: str = "view-0001", seq: int = 0) -> None:
    """A real beacon batch through the analytics store, as the player sends it after the render."""
    add_planned_render(sql_engine, link)
    body = json.dumps({"view": view, "seq": seq, "device": "landscape", "events": events}).encode()
    BeaconStore(sql_engine).ingest(link, parse_beacon(body))
