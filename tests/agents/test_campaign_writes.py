"""A group's campaign writes (campaigns/writes.py) on a real SQLite database: states, links and
audit rows in one transaction, and the count of deliveries failed in a row that scaled mode stops on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from smartvideo.agents.audit import AuditEntry, recent
from smartvideo.campaigns import store
from smartvideo.campaigns.writes import GroupWrites
from smartvideo.links import link_by_id, new_link
from smartvideo.storage.database import engine_for

SECRET = "writes-test-" + "x" * 32


def _campaign(tmp_path: Path) -> object:
    engine = engine_for(f"sqlite:///{tmp_path / 'sv.db'}")
    store.open_campaign(engine, name="c", target_kind="story", target_id="first_bill", channel="email",
                        options={}, data_fingerprint="f", data_path="d", links_csv="l", created_by="test")
    store.add_customers(engine, "c", [("A1", 1), ("A2", 2), ("A3", 3)])
    return engine


def test_a_groups_rows_are_stored_together(tmp_path: Path) -> None:
    engine = _campaign(tmp_path)
    writes = GroupWrites("c")
    link, _ = new_link(SECRET, "first_bill", "A1", dt.timedelta(days=7), campaign="c", channel="email")
    writes.link(link)
    writes.state("A1", "sending", link_id=link.id)
    writes.state("A2", "skipped", reason="no email")
    writes.commit(engine)
    writes.state("A1", "sent", attempts_added=2, sent=True, delivered_to="a***@example.com", reason=None)
    writes.delivered(link.id)
    writes.audit(AuditEntry(at=dt.datetime.now(dt.UTC), actor="campaign:test", key_id=None, source="campaign",
                            customer_id="A1", story="first_bill", channel="email", link_id=link.id, outcome="sent"))
    writes.commit(engine)
    states = store.customer_states(engine, "c")
    first = states["A1"]
    assert (first.state, first.link_id, first.attempts, first.sends) == ("sent", link.id, 2, 1)
    assert (states["A2"].state, states["A2"].reason) == ("skipped", "no email")
    assert states["A3"].state == "pending"
    assert link_by_id(engine, SECRET, link.id).id == link.id
    [entry] = recent(engine)
    assert (entry.customer_id, entry.outcome, entry.link_id) == ("A1", "sent", link.id)


def test_failures_in_a_row_count_on_across_groups_and_any_other_outcome_sets_them_back(tmp_path: Path) -> None:
    engine = _campaign(tmp_path)

    def after(*transient: bool) -> int:
        writes = GroupWrites("c")
        writes.failures(list(transient))
        writes.commit(engine)
        return store.failures_in_a_row(engine, "c")

    assert after(True, True) == 2
    assert after(True) == 3
    assert after() == 3  # a group with nothing done changes nothing
    assert after(True, False, True) == 1  # one delivered (or skipped) in between: counting starts again
    assert after(False) == 0
