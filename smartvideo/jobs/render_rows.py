"""The renders table as the record of a job: queued -> rendering (progress) -> ready | failed.

Analytics reads `duration` and `scenes` (the plan's scene bounds) from here; the player reads status.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from smartvideo.storage.renders_table import renders_table

STATUSES = ("queued", "rendering", "ready", "failed")


@dataclass(frozen=True, slots=True)
class RenderRow:
    id: str
    link_id: str
    story: str
    device: str
    variant: str | None
    story_version: str | None
    status: str
    progress: float
    duration: float | None
    scenes: list[dict[str, Any]] | None
    error: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # SQLite drops the zone


def _to_row(row: Any) -> RenderRow:
    return RenderRow(id=row.id, link_id=row.link_id, story=row.story, device=row.device, variant=row.variant,
                     story_version=row.story_version, status=row.status, progress=float(row.progress or 0),
                     duration=row.duration,
                     scenes=json.loads(row.scenes) if row.scenes else None, error=row.error,
                     created_at=_aware(row.created_at), finished_at=_aware(row.finished_at))  # type: ignore[arg-type]


def get_render(engine: Engine, key: str) -> RenderRow | None:
    with engine.connect() as conn:
        row = conn.execute(select(renders_table).where(renders_table.c.id == key)).first()
    return _to_row(row) if row else None


def mark_queued(engine: Engine, key: str, link_id: str, story: str, device: str, variant: str | None) -> None:
    """Create the row, or reset a failed/stale one for a new attempt."""
    values = {"status": "queued", "progress": 0.0, "error": None, "finished_at": None, "created_at": _now()}
    with engine.begin() as conn:
        try:
            with conn.begin_nested():
                conn.execute(insert(renders_table).values(id=key, link_id=link_id, story=story, device=device,
                                                          variant=variant, **values))
        except IntegrityError:
            conn.execute(update(renders_table).where(renders_table.c.id == key).values(**values))


def mark_rendering(engine: Engine, key: str, progress: float = 0.0) -> None:
    with engine.begin() as conn:
        conn.execute(update(renders_table).where(renders_table.c.id == key)
                     .values(status="rendering", progress=progress, error=None))


def mark_waiting(engine: Engine, key: str) -> None:
    """An attempt ended without a video: back to queued until the runner's decision (retry or failed).

    A row says `rendering` only while a worker holds the job's run lock: that is what lets the
    status path tell a dead worker's job (rendering, no lock) from a live one.
    """
    with engine.begin() as conn:
        conn.execute(update(renders_table).where(renders_table.c.id == key)
                     .where(renders_table.c.status == "rendering").values(status="queued", progress=0.0))


def set_progress(engine: Engine, key: str, progress: float) -> None:
    with engine.begin() as conn:
        conn.execute(update(renders_table).where(renders_table.c.id == key)
                     .where(renders_table.c.status == "rendering").values(progress=round(progress, 4)))


def set_plan_facts(engine: Engine, key: str, variant: str, story_version: str, duration: float | None = None,
                   scenes: list[dict[str, Any]] | None = None) -> None:
    """What the render is, written as soon as the plan knows it (before the video exists), so views
    of the progressive stream carry the right variant and story version, and, once every scene is
    timed, its length and scene bounds."""
    values: dict[str, Any] = {"variant": variant, "story_version": story_version}
    if duration is not None:
        values.update(duration=duration, scenes=json.dumps(scenes or []))
    with engine.begin() as conn:
        conn.execute(update(renders_table).where(renders_table.c.id == key)
                     .where(renders_table.c.status != "ready").values(**values))


def mark_ready(engine: Engine, key: str, duration: float, scenes: list[dict[str, Any]], variant: str | None) -> None:
    with engine.begin() as conn:
        conn.execute(update(renders_table).where(renders_table.c.id == key).values(
            status="ready", progress=1.0, duration=duration, scenes=json.dumps(scenes), variant=variant,
            error=None, finished_at=_now()))


def mark_failed(engine: Engine, key: str, reason: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(renders_table).where(renders_table.c.id == key).values(
            status="failed", error=reason[:500], finished_at=_now()))
