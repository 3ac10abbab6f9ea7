"""The request's side of beacon ingest: a group of validated batches keyed and put in the inbox.

One transaction per group (`group_commit`), on the driver's cursor: the batches' keys go into
`analytics_batches` (a key already there is a replay, answered `duplicate`, whether its first copy
waits in the inbox or was folded), each new batch's view is checked to belong to its link, and the
new batches go into `analytics_inbox` for the folder (`ingest.BeaconStore.fold_inbox`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from smartvideo.analytics.errors import BeaconRejected
from smartvideo.analytics.events import BeaconBatch, events_to_json
from smartvideo.analytics.sql_upsert import RawCursor, driver_value, marks, plain_sql
from smartvideo.analytics.tables import batches_table, inbox_table, pending_table, views_table

BATCH_COLUMNS = ("view_id", "seq", "events", "received_at")
INBOX_COLUMNS = ("view_id", "seq", "link_id", "device", "events", "received_at")


@dataclass(frozen=True, slots=True)
class IngestResult:
    stored: int  # events stored by this call (0 for a replay)
    duplicate: bool


@dataclass(frozen=True, slots=True)
class Append:
    link: Any  # a Link, or anything with its `id` (`ingest.ViewOwner`)
    batch: BeaconBatch
    now: dt.datetime


def append_batches(cur: RawCursor, dialect: str, appends: Sequence[Append]) -> list[IngestResult]:
    """One group's SQL: the batches keyed, the views' owners checked (BeaconRejected: the whole
    group is rolled back), the new batches put in the inbox. The INSERT comes first: on SQLite a
    transaction that read first could not turn into a writer after another connection's commit."""
    mark = "%s" if dialect == "postgresql" else "?"
    cur.execute(
        f"INSERT INTO {batches_table.name} ({', '.join(BATCH_COLUMNS)}) VALUES "
        + ", ".join([f"({mark}, {mark}, {mark}, {mark})"] * len(appends))
        + " ON CONFLICT DO NOTHING RETURNING view_id, seq",
        [value for a in appends
         for value in (a.batch.view, a.batch.seq, len(a.batch.events), driver_value(dialect, a.now))])
    new_keys = {(view_id, seq) for view_id, seq in cur.fetchall()}
    view_ids = sorted({a.batch.view for a in appends})
    in_list = marks(dialect, len(view_ids))
    cur.execute(" UNION ALL ".join(f"SELECT view_id, link_id FROM {table.name} WHERE view_id IN ({in_list})"
                                   for table in (views_table, inbox_table, pending_table)),
                view_ids * 3)
    owners: dict[str, str] = dict(cur.fetchall())
    for append in appends:  # a replay is answered `duplicate`, whoever sends it
        key = (append.batch.view, append.batch.seq)
        if key in new_keys and owners.setdefault(append.batch.view, append.link.id) != append.link.id:
            raise BeaconRejected("view id belongs to another link")
    results, rows = [], []
    for append in appends:
        batch = append.batch
        if (batch.view, batch.seq) in new_keys:
            new_keys.discard((batch.view, batch.seq))  # the same batch twice in a group: once is new
            results.append(IngestResult(len(batch.events), False))
            rows.append((batch.view, batch.seq, append.link.id, batch.device, events_to_json(batch.events),
                         driver_value(dialect, append.now)))
        else:
            results.append(IngestResult(0, True))
    if rows:
        cur.executemany(plain_sql(dialect, inbox_table, INBOX_COLUMNS), rows)
    return results
