"""The campaign store: each campaign, its run lock, and every customer's state in it.

A campaign is created by its first run and looked up by name after that. Its target is stored
as kind + id (`story`, or a `decision` once decisions choose the story), so the schema holds
both. Each customer of the data file has one row that only moves forward:

    pending ──► sending (link made) ──► sent | created (channel none) | failed
        └─────► skipped (the record does not fit; checked again by the next run)

A run does every row that is not sent or created, so a re-run resumes and a customer is invited
once; only `--resend` invites a sent customer again (`sends` counts the invitations delivered).
The lock is a row lease: a run holds it while it works and renews it; a killed run's lease
expires (or is taken over at once when its process is gone from this host).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Executable,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from smartvideo.errors import SmartVideoError
from smartvideo.storage.database import metadata

campaigns_table = Table(
    "campaigns",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("target_kind", String(20), nullable=False),  # story | decision
    Column("target_id", String(100), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("options", Text, nullable=False, server_default="{}"),  # JSON: variant, device, prerender
    Column("data_fingerprint", String(64), nullable=False),  # sha256 of the data file last run
    Column("data_path", Text),
    Column("links_csv", Text),
    Column("created_by", String(120)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("lock_owner", String(200)),  # host:pid of the run that holds the lease
    Column("lock_expires_at", DateTime(timezone=True)),
    # Deliveries that failed in a row (transient failures) in a fanned-out run: its workers add to
    # it with each group's outcomes, a success sets it back (campaigns/writes.py).
    Column("failures_in_a_row", Integer, nullable=False, server_default="0"),
)

campaign_customers_table = Table(
    "campaign_customers",
    metadata,
    Column(
        "campaign",
        String(100),
        ForeignKey("campaigns.name", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("customer_id", String(200), primary_key=True),
    Column("row", Integer, nullable=False),  # the record's number in the data file
    Column("state", String(20), nullable=False),
    Column("link_id", String(16)),
    Column("attempts", Integer, nullable=False, server_default="0"),  # delivery tries, all runs
    Column("sends", Integer, nullable=False, server_default="0"),  # invitations delivered
    Column("delivered_to", String(200)),  # masked address
    Column("render", String(20)),
    Column("reason", Text),  # why skipped or failed; never record data
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_campaign_customers_state", "campaign", "state"),
)

STATES = ("pending", "sending", "sent", "created", "failed", "skipped")
DONE = ("sent", "created")
LOCK_SECONDS = 60


class CampaignMismatch(SmartVideoError):
    """A campaign of this name exists for another story, decision or channel."""


class CampaignBusy(SmartVideoError):
    """Another run holds this campaign's lock."""


class UnknownCampaign(SmartVideoError):
    """No campaign has this name."""


@dataclass(frozen=True, slots=True)
class Campaign:
    name: str
    target_kind: str
    target_id: str
    channel: str
    options: Mapping[str, Any]
    data_fingerprint: str
    data_path: str | None
    links_csv: str | None
    created_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    lock_owner: str | None
    lock_expires_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class CustomerState:
    customer_id: str
    row: int
    state: str
    link_id: str | None = None
    attempts: int = 0
    sends: int = 0
    delivered_to: str | None = None
    render: str | None = None
    reason: str | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


def _campaign(row: Any) -> Campaign:
    return Campaign(
        name=row.name,
        target_kind=row.target_kind,
        target_id=row.target_id,
        channel=row.channel,
        options=json.loads(row.options or "{}"),
        data_fingerprint=row.data_fingerprint,
        data_path=row.data_path,
        links_csv=row.links_csv,
        created_by=row.created_by,
        created_at=_aware(row.created_at),  # type: ignore[arg-type]
        updated_at=_aware(row.updated_at),  # type: ignore[arg-type]
        lock_owner=row.lock_owner,
        lock_expires_at=_aware(row.lock_expires_at),
    )


def get_campaign(engine: Engine, name: str) -> Campaign:
    with engine.connect() as conn:
        row = conn.execute(select(campaigns_table).where(campaigns_table.c.name == name)).first()
    if row is None:
        raise UnknownCampaign(f"no campaign named '{name}' (smartvideo campaign list shows them)")
    return _campaign(row)


def list_campaigns(engine: Engine) -> list[Campaign]:
    with engine.connect() as conn:
        rows = conn.execute(select(campaigns_table).order_by(campaigns_table.c.created_at)).all()
    return [_campaign(r) for r in rows]


def open_campaign(
    engine: Engine,
    *,
    name: str,
    target_kind: str,
    target_id: str,
    channel: str,
    options: Mapping[str, Any],
    data_fingerprint: str,
    data_path: str,
    links_csv: str,
    created_by: str,
) -> tuple[Campaign, bool]:
    """The stored campaign (created when new) and whether it is new.

    CampaignMismatch when the name is taken by a campaign for another target or channel: the
    same name must never mean two different invitations to one customer.
    """
    now = _now()
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(campaigns_table).values(
                    name=name,
                    target_kind=target_kind,
                    target_id=target_id,
                    channel=channel,
                    options=json.dumps(dict(options), sort_keys=True),
                    data_fingerprint=data_fingerprint,
                    data_path=data_path,
                    links_csv=links_csv,
                    created_by=created_by,
                    created_at=now,
                    updated_at=now,
                )
            )
        return get_campaign(engine, name), True
    except IntegrityError:
        pass  # it exists: a re-run
    existing = get_campaign(engine, name)
    if (existing.target_kind, existing.target_id, existing.channel) != (
        target_kind,
        target_id,
        channel,
    ):
        raise CampaignMismatch(
            f"campaign '{name}' was started for {existing.target_kind} "
            f"'{existing.target_id}' by {existing.channel}; this run asks for {target_kind} "
            f"'{target_id}' by {channel}. Give this one another --name."
        )
    return existing, False


def record_run(engine: Engine, name: str, *, data_fingerprint: str, data_path: str, links_csv: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(campaigns_table)
            .where(campaigns_table.c.name == name)
            .values(
                data_fingerprint=data_fingerprint,
                data_path=data_path,
                links_csv=links_csv,
                updated_at=_now(),
            )
        )


# ---- the lock -----------------------------------------------------------------------------------


def lock_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_is_gone(owner: str | None) -> bool:
    """True when the owner was a process on this host that no longer exists."""
    host, _, pid = (owner or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def acquire_lock(engine: Engine, name: str, owner: str, seconds: int = LOCK_SECONDS) -> None:
    """Take the campaign's lease or raise CampaignBusy naming who holds it."""
    now = _now()
    table = campaigns_table
    free = or_(table.c.lock_owner.is_(None), table.c.lock_expires_at < now, table.c.lock_owner == owner)
    with engine.begin() as conn:
        taken = conn.execute(
            update(table)
            .where(and_(table.c.name == name, free))
            .values(lock_owner=owner, lock_expires_at=now + dt.timedelta(seconds=seconds))
        ).rowcount
    if taken:
        return
    held = get_campaign(engine, name)
    if _owner_is_gone(held.lock_owner):
        with engine.begin() as conn:
            taken = conn.execute(
                update(table)
                .where(and_(table.c.name == name, table.c.lock_owner == held.lock_owner))
                .values(lock_owner=owner, lock_expires_at=now + dt.timedelta(seconds=seconds))
            ).rowcount
        if taken:
            return
    until = held.lock_expires_at.strftime("%H:%M:%S UTC") if held.lock_expires_at else "?"
    raise CampaignBusy(
        f"campaign '{name}' is being run by another process ({held.lock_owner}); "
        f"it cannot send twice, so this run stops. If that process was killed, its lock "
        f"lapses at {until}."
    )


def renew_lock(engine: Engine, name: str, owner: str, seconds: int = LOCK_SECONDS) -> bool:
    table = campaigns_table
    with engine.begin() as conn:
        return bool(
            conn.execute(
                update(table)
                .where(and_(table.c.name == name, table.c.lock_owner == owner))
                .values(lock_expires_at=_now() + dt.timedelta(seconds=seconds))
            ).rowcount
        )


def release_lock(engine: Engine, name: str, owner: str) -> None:
    table = campaigns_table
    with engine.begin() as conn:
        conn.execute(
            update(table)
            .where(and_(table.c.name == name, table.c.lock_owner == owner))
            .values(lock_owner=None, lock_expires_at=None)
        )


# ---- customers -----------------------------------------------------------------------------------


def add_customers(engine: Engine, name: str, rows: Iterable[tuple[str, int]]) -> int:
    """Add the data file's customers not yet in the campaign (as pending); the number added."""
    table = campaign_customers_table
    wanted = dict((customer_id, row) for customer_id, row in rows)
    with engine.connect() as conn:
        known = {
            r.customer_id: r.row
            for r in conn.execute(select(table.c.customer_id, table.c.row).where(table.c.campaign == name))
        }
    now = _now()
    new = [
        {"campaign": name, "customer_id": cid, "row": row, "state": "pending", "updated_at": now}
        for cid, row in wanted.items()
        if cid not in known
    ]
    moved = [(cid, row) for cid, row in wanted.items() if cid in known and known[cid] != row]
    with engine.begin() as conn:
        for start in range(0, len(new), 5000):
            conn.execute(insert(table), new[start : start + 5000])
        for cid, row in moved:
            conn.execute(update(table).where(table.c.campaign == name, table.c.customer_id == cid).values(row=row))
    return len(new)


def _customer(r: Any) -> CustomerState:
    return CustomerState(
        customer_id=r.customer_id,
        row=r.row,
        state=r.state,
        link_id=r.link_id,
        attempts=r.attempts,
        sends=r.sends,
        delivered_to=r.delivered_to,
        render=r.render,
        reason=r.reason,
    )


def customer_states(engine: Engine, name: str) -> dict[str, CustomerState]:
    table = campaign_customers_table
    with engine.connect() as conn:
        rows = conn.execute(select(table).where(table.c.campaign == name)).all()
    return {r.customer_id: _customer(r) for r in rows}


def set_state(
    engine: Engine,
    name: str,
    customer_id: str,
    state: str,
    *,
    attempts_added: int = 0,
    sent: bool = False,
    also: Sequence[Executable] = (),
    **values: Any,
) -> None:
    """Move one customer to state, with the link id, reason, render and so on given.

    `also` are writes that belong with the move (a delivery's audit row and link date): one
    transaction for all, so the state and what it records cannot disagree.
    """
    if state not in STATES:
        raise ValueError(f"unknown campaign customer state {state!r}")
    table = campaign_customers_table
    changes: dict[str, Any] = {"state": state, "updated_at": _now(), **values}
    if attempts_added:
        changes["attempts"] = table.c.attempts + attempts_added
    if sent:
        changes["sends"] = table.c.sends + 1
    with engine.begin() as conn:
        conn.execute(
            update(table).where(table.c.campaign == name, table.c.customer_id == customer_id).values(**changes)
        )
        for statement in also:
            conn.execute(statement)


def set_render(engine: Engine, name: str, renders: Mapping[str, str]) -> None:
    """The render state of prerendered videos, by customer id."""
    table = campaign_customers_table
    with engine.begin() as conn:
        for customer_id, render in renders.items():
            conn.execute(
                update(table).where(table.c.campaign == name, table.c.customer_id == customer_id).values(render=render)
            )


def state_counts(engine: Engine, name: str) -> Counter[str]:
    table = campaign_customers_table
    with engine.connect() as conn:
        rows = conn.execute(
            select(table.c.state, func.count()).where(table.c.campaign == name).group_by(table.c.state)
        ).all()
    return Counter({state: count for state, count in rows})


def resent_count(engine: Engine, name: str) -> int:
    """Customers who were sent more than one invitation (only --resend does that)."""
    table = campaign_customers_table
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(table.c.campaign == name, table.c.sends > 1)).scalar_one())


def customers_in(engine: Engine, name: str, states: Iterable[str], limit: int) -> list[CustomerState]:
    """Customers in the given states, in data-file order (status lists failures this way)."""
    table = campaign_customers_table
    query = (
        select(table)
        .where(table.c.campaign == name, table.c.state.in_(list(states)))
        .order_by(table.c.row)
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [_customer(r) for r in rows]


# ---- fanned out over workers (scaled mode) ------------------------------------------------------

CLAIMABLE = ("pending", "failed", "skipped")


def claim(engine: Engine, name: str, customer_id: str, owner: str) -> bool:
    """Move one customer to `sending` for the run `owner`, if it still holds the campaign's lock
    and nobody has the customer: one statement, so two workers (or a redelivered task) can never
    both send, and a run that lost its lock sends nothing more."""
    table = campaign_customers_table
    holds_lock = (
        select(campaigns_table.c.name)
        .where(campaigns_table.c.name == name, campaigns_table.c.lock_owner == owner)
        .exists()
    )
    with engine.begin() as conn:
        return bool(
            conn.execute(
                update(table)
                .where(
                    table.c.campaign == name,
                    table.c.customer_id == customer_id,
                    table.c.state.in_(CLAIMABLE),
                    holds_lock,
                )
                .values(state="sending", updated_at=_now())
            ).rowcount
        )


def lock_holder(engine: Engine, name: str) -> str | None:
    with engine.connect() as conn:
        return lock_holder_in(conn, name)


def prepare_fan_out(engine: Engine, name: str, owner: str, resend: Iterable[str]) -> None:
    """Before a run's tasks go out: customers left `sending` by an earlier run, and those to be
    sent again (--resend), become pending, so a worker can claim each of them once."""
    table = campaign_customers_table
    now = _now()
    resend = list(resend)
    with engine.begin() as conn:
        if lock_holder_in(conn, name) != owner:
            raise CampaignBusy(f"campaign '{name}' is no longer locked by this run")
        conn.execute(update(campaigns_table).where(campaigns_table.c.name == name).values(failures_in_a_row=0))
        conn.execute(
            update(table).where(table.c.campaign == name, table.c.state == "sending").values(state="pending")
        )
        for start in range(0, len(resend), 500):
            conn.execute(
                update(table)
                .where(table.c.campaign == name, table.c.customer_id.in_(resend[start : start + 500]))
                .values(state="pending", reason="to be sent again (--resend)", updated_at=now)
            )


def lock_holder_in(conn: Any, name: str) -> str | None:
    return conn.execute(select(campaigns_table.c.lock_owner).where(campaigns_table.c.name == name)).scalar()


def states_of(engine: Engine, name: str, customer_ids: Iterable[str]) -> dict[str, CustomerState]:
    table = campaign_customers_table
    ids = list(customer_ids)
    found: dict[str, CustomerState] = {}
    with engine.connect() as conn:
        for start in range(0, len(ids), 500):
            rows = conn.execute(
                select(table).where(table.c.campaign == name, table.c.customer_id.in_(ids[start : start + 500]))
            ).all()
            found.update((r.customer_id, _customer(r)) for r in rows)
    return found


def failures_in_a_row(engine: Engine, name: str) -> int:
    """Deliveries of a fanned-out run that failed in a row, as its workers stored them."""
    with engine.connect() as conn:
        count = conn.execute(
            select(campaigns_table.c.failures_in_a_row).where(campaigns_table.c.name == name)
        ).scalar()
    return int(count or 0)


def latest_failure(engine: Engine, name: str) -> str:
    """The reason of the customer who failed last (what a run that stops on failures names)."""
    table = campaign_customers_table
    with engine.connect() as conn:
        reason = conn.execute(
            select(table.c.reason)
            .where(table.c.campaign == name, table.c.state == "failed")
            .order_by(table.c.updated_at.desc())
            .limit(1)
        ).scalar()
    return str(reason or "?")
