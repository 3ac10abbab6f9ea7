"""A group of customers' campaign writes, stored in one transaction.

A sending thread does its customers a group at a time (campaigns/run.py): the group's new links
and `sending` states are stored together before any of its invitations goes out, and the
outcomes (sent, failed, skipped, with their audit rows and the links' delivery dates) together
after. Each kind of row goes as one executemany of one compiled statement, where one customer at
a time cost three transactions and a dozen statements built anew.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from sqlalchemy import Executable, Update, bindparam, insert, update

from smartvideo.agents.audit import AuditEntry
from smartvideo.agents.tables import audit_log_table
from smartvideo.campaigns.store import STATES, campaign_customers_table, campaigns_table
from smartvideo.links import Link, links_table

_LINK_COLUMNS = ("id", "story", "customer_id", "variant", "campaign", "channel", "created_by", "created_at",
                 "expires_at", "decision")


class GroupWrites:
    """Rows to store for one group of a campaign's customers; `commit` writes them all at once."""

    def __init__(self, campaign: str):
        self.campaign = campaign
        self._states: dict[str, dict[str, Any]] = {}  # by customer: the latest state given wins
        self._links: list[dict[str, Any]] = []
        self._delivered: list[dict[str, Any]] = []
        self._audits: list[dict[str, Any]] = []
        self._statements: list[Executable] = []

    def state(self, customer_id: str, state: str, *, attempts_added: int = 0, sent: bool = False,
              **values: Any) -> None:
        """Move the customer to state (see store.set_state), with the link id, reason and so on."""
        if state not in STATES:
            raise ValueError(f"unknown campaign customer state {state!r}")
        row = {f"v_{key}": value for key, value in values.items()}
        row.update(b_campaign=self.campaign, b_customer=customer_id, v_state=state,
                   v_updated_at=dt.datetime.now(dt.UTC))
        if attempts_added:
            row["add_attempts"] = attempts_added
        if sent:
            row["add_sends"] = 1
        self._states[customer_id] = row

    def link(self, link: Link) -> None:
        self._links.append({name: getattr(link, name) for name in _LINK_COLUMNS})

    def delivered(self, link_id: str) -> None:
        """The link's delivery date (the funnel's `delivered`), unless it has one."""
        self._delivered.append({"b_link": link_id, "v_delivered_at": dt.datetime.now(dt.UTC)})

    def audit(self, entry: AuditEntry) -> None:
        self._audits.append({name: getattr(entry, name) for name in AuditEntry.__slots__})  # type: ignore[attr-defined]

    def also(self, statement: Executable) -> None:
        self._statements.append(statement)

    def failures(self, transient: list[bool]) -> None:
        """Count the group's outcomes (transient failure or not, in order) into the campaign's
        failures in a row: any other outcome sets it back to the failures after it."""
        if not transient:
            return
        column = campaigns_table.c.failures_in_a_row
        trailing = 0
        for failed in reversed(transient):
            if not failed:
                break
            trailing += 1
        value = column + trailing if trailing == len(transient) else trailing
        self._statements.append(
            update(campaigns_table).where(campaigns_table.c.name == self.campaign).values(failures_in_a_row=value)
        )

    def commit(self, engine: Any) -> None:
        """Everything given since the last commit, in one transaction (nothing: no transaction)."""
        if not (self._states or self._links or self._delivered or self._audits or self._statements):
            return
        by_columns: dict[frozenset[str], list[dict[str, Any]]] = {}
        for row in self._states.values():
            by_columns.setdefault(frozenset(row), []).append(row)
        with engine.begin() as conn:
            if self._links:
                conn.execute(insert(links_table), self._links)
            for statement in self._statements:
                conn.execute(statement)
            for columns, rows in by_columns.items():
                conn.execute(_state_update(columns), rows)
            if self._delivered:
                conn.execute(_delivered_update(), self._delivered)
            if self._audits:
                conn.execute(insert(audit_log_table), self._audits)
        self._states.clear()
        self._links.clear()
        self._delivered.clear()
        self._audits.clear()
        self._statements.clear()


@lru_cache(maxsize=64)
def _state_update(columns: frozenset[str]) -> Update:
    """One customer's state change with these bound values (compiled once per set of columns)."""
    table = campaign_customers_table
    values: dict[str, Any] = {}
    for name in columns:
        if name.startswith("v_"):
            values[name[2:]] = bindparam(name)
    if "add_attempts" in columns:
        values["attempts"] = table.c.attempts + bindparam("add_attempts")
    if "add_sends" in columns:
        values["sends"] = table.c.sends + bindparam("add_sends")
    return (
        update(table)
        .where(table.c.campaign == bindparam("b_campaign"), table.c.customer_id == bindparam("b_customer"))
        .values(values)
    )


@lru_cache(maxsize=1)
def _delivered_update() -> Update:
    return (
        update(links_table)
        .where(links_table.c.id == bindparam("b_link"), links_table.c.delivered_at.is_(None))
        .values(delivered_at=bindparam("v_delivered_at"))
    )
