"""The audit log: one row per push attempt by an agent or a campaign (ids only, no record data)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, Insert, insert, select

from smartvideo.agents.tables import audit_log_table

# unauthorized: no key, a malformed or unknown one, or a wrong secret (the key id when it parses).
OUTCOMES = ("sent", "rejected", "rate_limited", "failed", "unauthorized")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: dt.datetime
    actor: str
    key_id: str | None
    source: str  # api | page | campaign
    customer_id: str | None
    story: str | None
    channel: str | None
    link_id: str | None
    outcome: str
    detail: str | None = None


def record(engine: Engine, entry: AuditEntry) -> None:
    with engine.begin() as conn:
        conn.execute(insert_for(entry))


def insert_for(entry: AuditEntry) -> Insert:
    """The row's insert, for a caller that writes it with its own in one transaction."""
    if entry.outcome not in OUTCOMES:
        raise ValueError(f"unknown audit outcome {entry.outcome!r}")
    values = {name: getattr(entry, name) for name in AuditEntry.__slots__}  # type: ignore[attr-defined]
    return insert(audit_log_table).values(**values)


def recent(engine: Engine, limit: int = 100, actor: str | None = None) -> list[AuditEntry]:
    """Newest first."""
    table = audit_log_table
    query = select(table).order_by(table.c.id.desc()).limit(limit)
    if actor is not None:
        query = query.where(table.c.actor == actor)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        AuditEntry(
            at=row.at if row.at.tzinfo else row.at.replace(tzinfo=dt.UTC),
            actor=row.actor,
            key_id=row.key_id,
            source=row.source,
            customer_id=row.customer_id,
            story=row.story,
            channel=row.channel,
            link_id=row.link_id,
            outcome=row.outcome,
            detail=row.detail,
        )
        for row in rows
    ]
