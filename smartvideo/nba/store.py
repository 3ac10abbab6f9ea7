"""The SQL edge of next-best-action: the decision log and the shared model state.

Every decision is a row with its inputs (features, eligible actions), every action's scores and
the logged propensity; its outcome and reward are filled in when the learner has used it. The
model lives in `nba_models` as bytes with a version: a writer saves only over the version it
read (optimistic), so web processes and workers share one model and it survives restarts.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    exists,
    func,
    insert,
    select,
    update,
)

from smartvideo.analytics.tables import daily_table, views_table
from smartvideo.nba.arbitration import Choice, Contact
from smartvideo.storage.database import metadata

decisions_table = Table(
    "nba_decisions",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("decision", String(100), nullable=False),
    Column("customer_id", String(200), nullable=False),
    Column("link_id", String(16), unique=True),
    Column("action", String(100), nullable=False),
    Column("story", String(100), nullable=False),
    Column("variant", String(50)),
    Column("score", Float, nullable=False),
    Column("propensity", Float, nullable=False),
    Column("explored", Boolean, nullable=False),
    Column("actions", Text, nullable=False),  # JSON: the eligible actions (the choice set)
    Column("features", Text, nullable=False),  # JSON: the context features
    Column("scores", Text, nullable=False),  # JSON: every action's eligibility and scores
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(20)),  # cta | completed | none, once learned
    Column("reward", Float),
    Column("learned_at", DateTime(timezone=True)),
    Index("ix_nba_decisions_customer", "decision", "customer_id"),
    Index("ix_nba_decisions_pending", "decision", "learned_at"),
)

models_table = Table(
    "nba_models",
    metadata,
    Column("name", String(150), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("state", LargeBinary, nullable=False),
    Column("learned", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # SQLite drops the zone


def log_decision(engine: Engine, choice: Choice, customer_id: str, link_id: str | None,
                 now: dt.datetime) -> str:
    """Store one decision with its inputs, scores and propensity; returns its id."""
    decision_id = base64.urlsafe_b64encode(secrets.token_bytes(12)).decode()
    eligible = [s.action for s in choice.scores if s.eligible]
    with engine.begin() as conn:
        conn.execute(insert(decisions_table).values(
            id=decision_id, decision=choice.decision, customer_id=str(customer_id), link_id=link_id,
            action=choice.action, story=choice.story, variant=choice.variant, score=choice.score,
            propensity=choice.propensity, explored=choice.explored, actions=json.dumps(eligible),
            features=json.dumps(dict(choice.features)),
            scores=json.dumps([s.as_dict(probability=True) for s in choice.scores]),
            created_at=now))
    return decision_id


def decision_for_link(engine: Engine, link_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(decisions_table).where(decisions_table.c.link_id == link_id)).first()
    return dict(row._mapping) if row else None


def contact_history(engine: Engine, decision: str, customer_id: str) -> list[Contact]:
    """The customer's earlier decisions that reached them (those with a link), with CTA clicks."""
    d, v = decisions_table.c, views_table.c
    clicked = exists().where(v.link_id == d.link_id, v.cta.is_(True))
    with engine.connect() as conn:
        rows = conn.execute(
            select(d.action, d.created_at, d.outcome, clicked.label("clicked"))
            .where(d.decision == decision, d.customer_id == str(customer_id), d.link_id.is_not(None))
        ).all()
    return [Contact(r.action, _aware(r.created_at), bool(r.clicked) or r.outcome == "cta") for r in rows]


def model_version(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        value = conn.execute(select(models_table.c.version).where(models_table.c.name == name)).scalar()
    return int(value or 0)


def load_model(engine: Engine, name: str) -> tuple[int, bytes | None]:
    with engine.connect() as conn:
        row = conn.execute(select(models_table.c.version, models_table.c.state)
                           .where(models_table.c.name == name)).first()
    return (int(row.version), bytes(row.state)) if row else (0, None)


def save_model(conn: Connection, name: str, read_version: int, state: bytes, learned: int,
               now: dt.datetime) -> bool:
    """Save over `read_version` only; False when another process saved first (re-read and redo)."""
    values = {"version": read_version + 1, "state": state, "learned": learned, "updated_at": now}
    if read_version == 0:
        found = conn.execute(select(models_table.c.version).where(models_table.c.name == name)).first()
        if found is not None:
            return False
        conn.execute(insert(models_table).values(name=name, **values))
        return True
    done = conn.execute(update(models_table)
                        .where(models_table.c.name == name, models_table.c.version == read_version)
                        .values(**values))
    return bool(done.rowcount)


@dataclass(frozen=True, slots=True)
class Pending:
    id: str
    link_id: str
    action: str
    actions: list[str]
    features: dict[str, Any]
    propensity: float
    created_at: dt.datetime
    cta: bool
    completed: bool


def pending_decisions(conn: Connection, decision: str, limit: int = 5000) -> list[Pending]:
    """Decisions with a link not yet learned from, with what their views reported so far."""
    d, v = decisions_table.c, views_table.c
    cta = exists().where(v.link_id == d.link_id, v.cta.is_(True))
    completed = exists().where(v.link_id == d.link_id, v.completed.is_(True))
    rows = conn.execute(
        select(d.id, d.link_id, d.action, d.actions, d.features, d.propensity, d.created_at,
               cta.label("cta"), completed.label("completed"))
        .where(d.decision == decision, d.learned_at.is_(None), d.link_id.is_not(None))
        .order_by(cta.desc(), d.created_at).limit(limit)  # final rewards first, then oldest
    ).all()
    return [Pending(r.id, r.link_id, r.action, json.loads(r.actions), json.loads(r.features), r.propensity,
                    _aware(r.created_at), bool(r.cta), bool(r.completed)) for r in rows]


def mark_learned(conn: Connection, rewards: Sequence[tuple[str, str, float]], now: dt.datetime) -> None:
    for decision_id, outcome, reward in rewards:
        conn.execute(update(decisions_table).where(decisions_table.c.id == decision_id)
                     .values(outcome=outcome, reward=reward, learned_at=now))


def logged_decisions(engine: Engine, decision: str) -> list[dict[str, Any]]:
    """Every logged decision of a decision id with a link, for the report."""
    d, v = decisions_table.c, views_table.c
    cta = exists().where(v.link_id == d.link_id, v.cta.is_(True))
    completed = exists().where(v.link_id == d.link_id, v.completed.is_(True))
    with engine.connect() as conn:
        rows = conn.execute(
            select(d.action, d.actions, d.features, d.propensity, d.scores, d.created_at, d.outcome, d.reward,
                   cta.label("cta"), completed.label("completed"))
            .where(d.decision == decision, d.link_id.is_not(None)).order_by(d.created_at)
        ).all()
    return [dict(r._mapping) for r in rows]


variant_picks_table = Table(
    "nba_variant_picks",
    metadata,
    Column("link_id", String(16), primary_key=True),
    Column("story", String(100), nullable=False),
    Column("variant", String(50), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_nba_variant_picks_story", "story", "at"),
)


def variant_stats(engine: Engine, story: str, variants: Sequence[str], reward: str) -> dict[str, tuple[int, int]]:
    """(views, successes) per variant from the analytics counters (small whatever the traffic)."""
    c = daily_table.c
    success = c.ctas if reward == "cta" else c.completions
    with engine.connect() as conn:
        rows = conn.execute(select(c.variant, func.sum(c.views), func.sum(success))
                            .where(c.story == story).group_by(c.variant)).all()
    found = {r[0]: (int(r[1] or 0), int(r[2] or 0)) for r in rows}
    return {v: found.get(v, (0, 0)) for v in variants}


def record_variant_pick(engine: Engine, link_id: str, story: str, variant: str, at: dt.datetime) -> None:
    with engine.begin() as conn:
        conn.execute(insert(variant_picks_table).values(link_id=link_id, story=story, variant=variant, at=at))


def variant_allocation(engine: Engine, story: str) -> list[tuple[dt.date, str, int]]:
    """New links per day and variant picked by adaptive allocation."""
    c = variant_picks_table.c
    with engine.connect() as conn:
        rows = conn.execute(select(c.at, c.variant).where(c.story == story).order_by(c.at)).all()
    counts: dict[tuple[dt.date, str], int] = {}
    for at, variant in rows:
        key = (_aware(at).date(), variant)
        counts[key] = counts.get(key, 0) + 1
    return [(day, variant, n) for (day, variant), n in sorted(counts.items())]
