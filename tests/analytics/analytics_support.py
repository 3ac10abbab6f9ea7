"""Constants and helpers the analytics tests share (imported by name: tests/analytics is on sys.path)."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Engine, insert

from smartvideo.links import Link
from smartvideo.storage.renders_table import renders_table

SECRET = "analytics-test-secret-0123456789abcdef"
STORY = "first_bill"
ANALYST_KEY = "analyst-key-for-tests"
SCENES = [
    {"id": "intro", "start": 0.0, "end": 4.0},
    {"id": "total", "start": 4.0, "end": 7.5, "personal": True},
    {"id": "cta", "start": 7.5, "end": 10.0},
]


def add_render(
    engine: Engine,
    link: Link,
    device: str = "landscape",
    duration: float = 10.0,
    scenes: list[dict] | None = None,
    status: str = "ready",
    variant: str | None = None,
) -> None:
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(renders_table).values(
                id=f"{link.id}-{device}",
                link_id=link.id,
                story=link.story,
                device=device,
                variant=variant or link.variant,
                status=status,
                progress=1.0 if status == "ready" else 0.0,
                duration=duration if status == "ready" else None,
                scenes=json.dumps(scenes if scenes is not None else SCENES),
                created_at=now,
                finished_at=now if status == "ready" else None,
            )
        )


def wait_until(predicate, timeout: float = 20.0, every: float = 0.2):  # noqa: ANN001, ANN201
    """predicate()'s first truthy value, polled until timeout (then the test fails)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out")
