"""Beacon ingest: batches are validated, appended to the inbox, and folded into their views and the
counters apart from the request.

Idempotent: the (view id, seq) key of `analytics_batches` is inserted when a batch is appended; a
replayed batch finds it and changes nothing, whether its first copy waits in `analytics_inbox` or
was folded. Batches that arrive together are appended together (`group_commit`): one transaction,
answered after its commit. The folder (`fold_inbox`; who runs it: `inbox_folder`) takes the inbox's
oldest batches in groups of hundreds: the view rows are locked (PostgreSQL: FOR UPDATE; SQLite: the
writer's lock), their state folded with the batches (pure, in `view_state`), the deltas added to
the counters that reports read, and the batches deleted from the inbox, in one transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import json
import logging
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, Engine, case, func, select

from smartvideo.analytics.counter_deltas import CounterDeltas, Dims
from smartvideo.analytics.errors import AnalyticsError, BeaconRejected
from smartvideo.analytics.events import (
    BeaconBatch,
    Event,
    SimpleEvent,
    WatchEvent,
    check_plausible,
    events_from_json,
)
from smartvideo.analytics.group_commit import GroupWriter, Slot
from smartvideo.analytics.inbox_append import Append, IngestResult, append_batches
from smartvideo.analytics.reach import CLICK_KINDS, click_scene, reached_stages
from smartvideo.analytics.retention import SceneSpan, seconds_in
from smartvideo.analytics.sql_upsert import RawCursor, driver_value, marks, plain_sql, raw_cursor, update_sql
from smartvideo.analytics.tables import (
    events_table,
    inbox_table,
    pending_table,
    viewers_table,
    views_table,
)
from smartvideo.analytics.view_state import ViewDelta, ViewState, fold_events
from smartvideo.links import Link, links_table
from smartvideo.storage.renders_table import renders_table

log = logging.getLogger(__name__)

EVENT_COLUMNS = ("view_id", "seq", "idx", "type", "second", "t", "t_from", "message")
PENDING_COLUMNS = ("view_id", "seq", "link_id", "device")
NEW_VIEW_COLUMNS = ("view_id", "link_id", "story", "variant", "device", "campaign", "day", "watched",
                    "watched_count", "rewatches", "opened", "played", "completed", "cta", "errored", "entered",
                    "continued", "created_at", "updated_at", "channel", "story_version", "notified")
VIEW_STATE_COLUMNS = ("n_seconds", "scenes", "watched", "watched_count", "rewatches", "opened", "played",
                      "completed", "cta", "errored", "entered", "continued", "updated_at")
VIEW_COLUMNS = ("view_id", "link_id", "story", "variant", "device", "campaign", "day", "n_seconds", "scenes",
                "watched", "watched_count", "rewatches", "opened", "played", "completed", "cta", "errored",
                "entered", "continued")
VIEWER_COLUMNS = ("story", "link_id", "customer_id", "variant", "device", "campaign", "first_day", "views",
                  "opened", "half", "completed", "cta", "reached")
VIEWER_FLAGS = ("opened", "half", "completed", "cta")
UNTIMED = -1  # the pending row of a view folded before its render's scenes were timed


@dataclass(frozen=True, slots=True)
class RenderFacts:
    """What a render tells the analytics: its variant and story version as soon as it is planned
    (None before), and its length and scenes once every scene is timed (before the MP4 is done)."""

    variant: str | None
    n_seconds: int | None
    scenes: tuple[SceneSpan, ...]
    scenes_json: str | None
    story_version: str | None = None

    @property
    def planned(self) -> bool:
        return self.variant is not None


@dataclass(frozen=True, slots=True)
class ViewOwner:
    """The link a view belongs to, as analytics needs it (a `Link` has the same attributes)."""

    id: str
    story: str
    customer_id: str
    variant: str | None
    campaign: str | None
    channel: str


@functools.lru_cache(maxsize=4096)  # a story's renders share a handful of scene lists
def parse_scenes(text: str | None) -> tuple[SceneSpan, ...]:
    if not text:
        return ()
    return tuple(SceneSpan(str(s["id"]), float(s["start"]), float(s["end"])) for s in json.loads(text))


@dataclass(frozen=True, slots=True)
class _Write:
    owner: Link | ViewOwner
    view_id: str
    device: str
    batch: BeaconBatch | None  # None: fold what waits for the view (fold_pending)
    facts: RenderFacts | None
    now: dt.datetime


class _View:
    """One analytics_views row while a group folds into it (mutable, written back at the end)."""

    __slots__ = ("link_id", "story", "variant", "device", "campaign", "day", "n_seconds", "scenes", "state", "new")

    def __init__(self, row: Sequence[Any], new: bool) -> None:
        (_, self.link_id, self.story, self.variant, self.device, self.campaign, self.day, self.n_seconds,
         self.scenes, watched, *flags) = row
        count, rewatches, opened, played, completed, cta, errored, entered, continued = flags
        self.state = ViewState(bytes(watched), count, rewatches, bool(opened), bool(played), bool(completed),
                               bool(cta), bool(errored), int(entered), int(continued))
        self.new = new

    @property
    def dims(self) -> Dims:
        return (self.story, self.variant, self.device, self.campaign, self.day)


class _GroupWrite:
    """The SQL of one group's transaction, on the driver's cursor."""

    def __init__(self, store: BeaconStore, cur: RawCursor) -> None:
        self.store, self.cur, self.dialect = store, cur, store.dialect
        self.deltas = CounterDeltas()
        self.group_keys: set[tuple[str, int]] = set()

    def run(self, writes: Sequence[_Write]) -> None:
        """Fold the group's writes: inbox batches (keyed in analytics_batches when they were
        appended, so each is new here), or views waiting on their render (no batch)."""
        cur, dialect = self.cur, self.dialect
        fresh = list(range(len(writes)))
        # the group stores all its events first: a view's later batches of this group count their
        # own clicks, so the moment a view learns its scenes counts only those stored before
        self.group_keys = {(b.view, b.seq) for i in fresh if (b := writes[i].batch) is not None}
        event_rows = [
            (b.view, b.seq, idx, "watch", e.second, None, None, None) if type(e) is WatchEvent
            else (b.view, b.seq, idx, e.type, e.scene, e.t, e.t_from, e.message)  # type: ignore[union-attr]
            for i in fresh if (b := writes[i].batch) is not None
            for idx, e in enumerate(b.events)
        ]
        if event_rows:
            cur.executemany(plain_sql(dialect, events_table, EVENT_COLUMNS), event_rows)
        waiting = [writes[i] for i in fresh if writes[i].facts is None or not writes[i].facts.planned]  # type: ignore[union-attr]
        if waiting:
            cur.executemany(plain_sql(dialect, pending_table, PENDING_COLUMNS),
                            [(w.view_id, w.batch.seq, w.owner.id, w.device) for w in waiting if w.batch])
        folds = [writes[i] for i in fresh if writes[i].facts is not None and writes[i].facts.planned]  # type: ignore[union-attr]
        if folds:
            views = self._views(folds)
            pending = self._take_pending([v for v in views if views[v].new])
            for write in folds:
                self._fold(write, views[write.view_id], pending.pop(write.view_id, ()))
            update = update_sql(dialect, views_table, VIEW_STATE_COLUMNS, ("view_id",))
            now = driver_value(dialect, max(w.now for w in folds))
            cur.executemany(update, [
                (v.n_seconds, v.scenes, v.state.watched, v.state.watched_count, v.state.rewatches,
                 v.state.opened, v.state.played, v.state.completed, v.state.cta, v.state.errored,
                 v.state.entered, v.state.continued, now, view_id)
                for view_id, v in sorted(views.items())
            ])
            self.deltas.flush(cur, dialect)

    def _select_views(self, view_ids: list[str]) -> dict[str, Sequence[Any]]:
        sql = (f"SELECT {', '.join(VIEW_COLUMNS)} FROM {views_table.name} "
               f"WHERE view_id IN ({marks(self.dialect, len(view_ids))})")
        if self.dialect == "postgresql":
            sql += " ORDER BY view_id FOR UPDATE"  # in key order: two groups never lock crosswise
        self.cur.execute(sql, view_ids)
        return {row[0]: row for row in self.cur.fetchall()}

    def _views(self, folds: list[_Write]) -> dict[str, _View]:
        """The group's view rows, locked; views seen for the first time are inserted first."""
        wanted = sorted({w.view_id for w in folds})
        rows = self._select_views(wanted)
        created: set[str] = set()
        missing = [w for w in folds if w.view_id not in rows]
        if missing:
            insert_view = plain_sql(self.dialect, views_table, NEW_VIEW_COLUMNS, ignore_returning="view_id")
            for write in missing:
                if write.view_id in created:
                    continue
                owner, facts, now = write.owner, write.facts, write.now
                assert facts is not None
                value = driver_value
                self.cur.execute(insert_view, (
                    write.view_id, owner.id, owner.story, facts.variant or owner.variant or "", write.device,
                    owner.campaign or "", value(self.dialect, now.date()), b"", 0, 0, False, False, False, False,
                    False, 0, 0, value(self.dialect, now), value(self.dialect, now), owner.channel,
                    facts.story_version or "", False))
                if self.cur.fetchone() is not None:
                    created.add(write.view_id)
            rows.update(self._select_views(sorted({w.view_id for w in missing})))
        views = {view_id: _View(row, view_id in created) for view_id, row in rows.items()}
        for write in folds:
            if views[write.view_id].link_id != write.owner.id:
                raise BeaconRejected("view id belongs to another link")
        return views

    def _take_pending(self, view_ids: list[str]) -> dict[str, tuple[Event, ...]]:
        """The events of new views' pending batches (stored before the render was planned), in order,
        removing them from the pending list."""
        if not view_ids:
            return {}
        in_list = marks(self.dialect, len(view_ids))
        self.cur.execute(
            f"SELECT e.view_id, e.type, e.second, e.t, e.t_from, e.message FROM {events_table.name} e "
            f"JOIN {pending_table.name} p ON p.view_id = e.view_id AND p.seq = e.seq "
            f"WHERE p.view_id IN ({in_list}) ORDER BY e.view_id, e.seq, e.idx", view_ids)
        found: dict[str, list[Event]] = {}
        for view_id, kind, second, t, t_from, message in self.cur.fetchall():
            found.setdefault(view_id, []).append(
                WatchEvent(second) if kind == "watch"
                else SimpleEvent(kind, t, t_from, message, second if kind == "chapter" else None))
        if found:
            self.cur.execute(f"DELETE FROM {pending_table.name} WHERE view_id IN ({marks(self.dialect, len(found))})",
                             list(found))
        return {view_id: tuple(events) for view_id, events in found.items()}

    def _fold(self, write: _Write, view: _View, pending: tuple[Event, ...]) -> None:
        facts = write.facts
        assert facts is not None
        events = pending + (write.batch.events if write.batch else ())
        new_view, view.new = view.new, False  # a view's later batches in the same group continue it
        if new_view and facts.n_seconds is None:  # not timed yet: fold_pending finishes it if no batch does
            self.cur.execute(plain_sql(self.dialect, pending_table, PENDING_COLUMNS),
                             (write.view_id, UNTIMED, write.owner.id, write.device))
        learned_render = view.n_seconds is None and facts.n_seconds is not None
        if learned_render:
            if not new_view:
                self.cur.execute(f"DELETE FROM {pending_table.name} WHERE view_id = {marks(self.dialect, 1)} "
                                 f"AND seq = {UNTIMED}", (write.view_id,))
            view.n_seconds, view.scenes = facts.n_seconds, facts.scenes_json
        scenes = parse_scenes(view.scenes) if view.scenes else ()
        before = view.state
        view.state, delta = fold_events(before, events, view.n_seconds, scenes, counted_before=not learned_render)
        reached = reached_stages(view.state, view.n_seconds)
        new_stages = reached & ~reached_stages(before, None if learned_render else view.n_seconds)
        new_viewer, first_dims, newly, link_stages = self._count_viewer(
            write.owner, view, new_view, delta, reached if new_view else new_stages)
        self.deltas.add_view(
            view.dims, delta, new_view=new_view, new_viewer=new_viewer,
            max_seconds=view.n_seconds if learned_render else 0, first_dims=first_dims, newly=newly,
            scenes=scenes, newly_present=learned_render)
        if link_stages:
            self.deltas.add_reach(view.dims, write.owner.channel, link_stages)
        if learned_render:
            self.deltas.add_scene_list(view.dims, view.scenes)
            clicks = self._stored_clicks(write.view_id, write.batch.seq if write.batch else None)
        else:
            clicks = [(e.type, e.t, e.scene) for e in events if type(e) is SimpleEvent and e.type in CLICK_KINDS]
        if scenes:
            for kind, t, scene_index in clicks:
                scene_id = click_scene(kind, t, scene_index, scenes)
                if scene_id is not None:
                    self.deltas.add_click(view.dims, scene_id, kind)

    def _stored_clicks(self, view_id: str, own_seq: int | None) -> list[tuple[str, float | None, int | None]]:
        """A view's clicks so far, for the moment its render's scenes become known: those of its
        batches stored before this group, and of its own batch (`own_seq`), not of the group's
        other batches of the view (each of those counts its own when it is folded)."""
        self.cur.execute(
            f"SELECT type, t, second, seq FROM {events_table.name} WHERE view_id = {marks(self.dialect, 1)} "
            f"AND type IN ('cta', 'chapter') ORDER BY seq, idx", (view_id,))
        return [(kind, t, second if kind == "chapter" else None) for kind, t, second, seq in self.cur.fetchall()
                if seq == own_seq or (view_id, seq) not in self.group_keys]

    def _count_viewer(
        self, owner: Link | ViewOwner, view: _View, new_view: bool, delta: ViewDelta, stages: int
    ) -> tuple[bool, Dims | None, dict[str, int], int]:
        """Keep the customer's row (views, engagement flags, funnel stages).

        Returns whether the customer is new, the dimensions of its first view, the engagement flags
        it gets for the first time (counted under those dimensions), and the funnel stages it
        reaches for the first time (counted under this view's).
        """
        if not (new_view or delta.changes_flags or stages):
            return False, None, {}, 0
        flags = {"opened": int(delta.opened), "half": int(delta.became_half),
                 "completed": int(delta.completed), "cta": int(delta.cta)}
        cur, dialect = self.cur, self.dialect
        if new_view:
            cur.execute(plain_sql(dialect, viewers_table, VIEWER_COLUMNS, ignore_returning="link_id"), (
                view.story, owner.id, owner.customer_id, view.variant, view.device, view.campaign, view.day, 1,
                *flags.values(), stages))
            if cur.fetchone() is not None:
                return True, view.dims, flags, stages
        mark = marks(dialect, 1)
        cur.execute(
            f"SELECT variant, device, campaign, first_day, reached, {', '.join(VIEWER_FLAGS)} "
            f"FROM {viewers_table.name} WHERE story = {mark} AND link_id = {mark}"
            + (" FOR UPDATE" if dialect == "postgresql" else ""),
            (view.story, owner.id))
        variant, device, campaign, first_day, reached, *old = cur.fetchone()
        newly = {name: int(on and not was) for (name, on), was in zip(flags.items(), old, strict=True)}
        new_stages = stages & ~reached
        if new_view or any(newly.values()) or new_stages:
            cur.execute(
                f"UPDATE {viewers_table.name} SET views = views + {mark}, reached = {mark}, "
                + ", ".join(f"{name} = {mark}" for name in VIEWER_FLAGS)
                + f" WHERE story = {mark} AND link_id = {mark}",
                (int(new_view), reached | stages,
                 *(int(bool(was) or newly[name]) for name, was in zip(VIEWER_FLAGS, old, strict=True)),
                 view.story, owner.id))
        return False, (view.story, variant, device, campaign, first_day), newly, new_stages


class BeaconStore:
    """Stores beacon batches in SQL; one per engine (it caches finished renders, which never change).

    `ingest` appends a batch to the inbox (durable, its replay answered `duplicate` at once); the
    folder folds the inbox into events, views and counters. `fold`: "inline" (the Python API, the
    tests): `ingest` folds before it returns; "thread" (the web app): a thread of the store folds
    (`inbox_folder`); "apart": another process does (`smartvideo analytics-fold --watch`).
    Readers call `fold_pending` first, so a report counts every batch acknowledged before it.
    """

    FOLD_GROUP = 512  # inbox batches per fold transaction

    def __init__(self, engine: Engine, fold: Literal["inline", "thread", "apart"] = "inline") -> None:
        from smartvideo.analytics.inbox_folder import FoldLock, InboxFolder

        self.engine = engine
        self.dialect = engine.dialect.name
        self._ready: dict[tuple[str, str], RenderFacts] = {}
        self._lock = threading.Lock()
        # SQLite has one writer at a time: beacon writers of every process on the file wait in turn
        # on a lock file (woken at once), not in SQLite's busy handler (which sleeps and polls).
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            SQLiteWriterLock(engine.url.database) if self.dialect == "sqlite" else contextlib.nullcontext())
        self._fold_lock = FoldLock(engine)  # one folder at a time per database, across processes
        self._writer: GroupWriter[Append, IngestResult] = GroupWriter(self._append_group)
        # the appender's connection, kept between groups (one group at a time uses it) and closed
        # with the store
        self._held: list[Connection] = []
        weakref.finalize(self, _close_held, self._held)
        self._fold_inline = fold == "inline"
        self._folder = InboxFolder(self.fold_inbox) if fold == "thread" else None

    def render_facts(self, link_id: str, device: str) -> RenderFacts | None:
        key = (link_id, device)
        with self._lock:
            if key in self._ready:
                return self._ready[key]
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    renders_table.c.status,
                    renders_table.c.variant,
                    renders_table.c.story_version,
                    renders_table.c.duration,
                    renders_table.c.scenes,
                )
                .where(renders_table.c.link_id == link_id, renders_table.c.device == device)
                .order_by(
                    case((renders_table.c.status == "ready", 0), else_=1),
                    renders_table.c.created_at.desc(),
                )
                .limit(1)
            ).first()
        if rows is None:
            return None
        variant = rows.variant if rows.variant is not None or rows.status != "ready" else ""
        if rows.duration:  # timed: ready, or a progressive render whose plan is complete
            facts = RenderFacts(variant, seconds_in(rows.duration), parse_scenes(rows.scenes), rows.scenes,
                                rows.story_version)
            if rows.status == "ready":
                with self._lock:
                    self._ready[key] = facts
            return facts
        return RenderFacts(variant, None, (), None, rows.story_version)

    def ingest(self, link: Link, batch: BeaconBatch, now: dt.datetime | None = None) -> IngestResult:
        """Store one validated batch for a link; raises BeaconRejected (nothing stored) if implausible
        or if its view belongs to another link.

        A batch whose render is not planned yet (its variant unknown) is stored and kept pending; it
        is folded into its view, under the right variant, with the view's next batch or by
        `fold_pending` (reports call it), so nothing is counted under a variant it did not see.
        """
        now = now or dt.datetime.now(dt.UTC)
        facts = self.render_facts(link.id, batch.device)
        check_plausible(batch, facts.n_seconds if facts else None)
        result = self._writer.submit(Append(link, batch, now))
        if self._fold_inline:
            self.fold_inbox()
        elif self._folder is not None and not result.duplicate:
            self._folder.wake()
        return result

    def close(self) -> None:
        """Stop the background folder (what it had not folded stays in the inbox) and let go of
        the connections."""
        if self._folder is not None:
            self._folder.stop()
        _close_held(self._held)

    # ---- the request's side: append to the inbox ------------------------------------------------

    def _append_group(self, appends: Sequence[Append], slots: Sequence[Slot[IngestResult]]) -> None:
        """Group commit of appends. Should one fail (a view id of another link), the group is
        rolled back and each batch appended alone, so it fails alone."""
        try:
            results = self._append_transaction(appends)
        except Exception:  # noqa: BLE001 - retried one by one below, each error to its own request
            if len(appends) == 1:
                raise
            for append, slot in zip(appends, slots, strict=True):
                try:
                    slot.result = self._append_transaction([append])[0]
                except Exception as exc:  # noqa: BLE001 - handed to the waiting request
                    slot.error = exc
        else:
            for slot, result in zip(slots, results, strict=True):
                slot.result = result

    def _append_transaction(self, appends: Sequence[Append]) -> list[IngestResult]:
        with self._write_lock:
            if not self._held or self._held[0].closed:
                self._held[:] = [self.engine.connect()]
            conn = self._held[0]
            try:
                with conn.begin():
                    return append_batches(raw_cursor(conn), self.dialect, appends)
            except Exception:
                _close_held(self._held)  # a connection that failed is not reused
                raise

    # ---- the folder's side --------------------------------------------------------------------

    def fold_inbox(self) -> int:
        """Fold every batch in the inbox (in groups of FOLD_GROUP, each deleted from the inbox in
        the transaction that folds it). Returns the batches folded."""
        folded = 0
        with self._fold_lock:
            while True:
                n = self._fold_group(None)
                folded += n
                if n < self.FOLD_GROUP:
                    return folded

    def fold_pending(self, now: dt.datetime | None = None) -> int:
        """Fold the inbox, then what waits on a render's plan: batches that came before its
        variant was known, and views that ended before its scenes were timed (their length, half,
        scenes count now). Returns the views folded of those that waited."""
        self.fold_inbox()
        now = now or dt.datetime.now(dt.UTC)
        p = pending_table.c
        with self.engine.connect() as conn:
            waiting = conn.execute(
                select(p.view_id, p.link_id, p.device, func.max(p.seq)).group_by(p.view_id, p.link_id, p.device)
            ).all()
        folded = 0
        for view_id, link_id, device, last_seq in waiting:
            facts = self.render_facts(link_id, device)
            untimed_only = last_seq == UNTIMED
            if facts is None or not facts.planned or (untimed_only and facts.n_seconds is None):
                continue
            owner = self._owners([link_id]).get(link_id)
            if owner is None:
                continue
            with self._fold_lock:
                self._fold_group([_Write(owner, view_id, device, None, facts, now)])
            folded += 1
        return folded

    def _owners(self, link_ids: Sequence[str]) -> dict[str, ViewOwner]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(links_table).where(links_table.c.id.in_(sorted(set(link_ids))))).all()
        return {row.id: ViewOwner(row.id, row.story, row.customer_id, row.variant, row.campaign, row.channel)
                for row in rows}

    def _fold_group(self, writes: list[_Write] | None) -> int:
        """Fold `writes`, or (None) the inbox's oldest FOLD_GROUP batches, in one transaction that
        also deletes them from the inbox; the fold lock is held. Returns the inbox rows taken.

        A group refused for its data (an AnalyticsError: a view of another link, which the append
        checks already) is folded one write at a time, and a write refused alone is logged and
        dropped from the inbox. Any other error (the database) is raised: the batches stay in the
        inbox for the next fold."""
        taken: list[tuple[str, int]] = []
        if writes is None:
            writes, taken = self._inbox_writes()
        try:
            self._fold_transaction(writes, taken)
            return len(taken)
        except AnalyticsError:
            if len(writes) <= 1:
                log.exception("a beacon batch could not be folded and is dropped")
                self._fold_transaction([], taken)
                return len(taken)
        for write in writes:
            key = [(write.view_id, write.batch.seq)] if write.batch is not None and taken else []
            try:
                self._fold_transaction([write], key)
            except AnalyticsError:
                log.exception("a beacon batch could not be folded and is dropped: view %s", write.view_id)
                self._fold_transaction([], key)
        self._fold_transaction([], taken)  # those of deleted links
        return len(taken)

    def _fold_transaction(self, writes: list[_Write], taken: list[tuple[str, int]]) -> None:
        if not writes and not taken:
            return
        # a pooled connection per fold (a few a second at most), none held between them
        with self._write_lock, self.engine.connect() as conn, conn.begin():
            cur = raw_cursor(conn)
            if writes:
                _GroupWrite(self, cur).run(writes)
            if taken:
                mark = marks(self.dialect, 1)
                cur.executemany(f"DELETE FROM {inbox_table.name} WHERE view_id = {mark} AND seq = {mark}", taken)

    def _inbox_writes(self) -> tuple[list[_Write], list[tuple[str, int]]]:
        """The inbox's oldest batches as fold writes (each with its owner and render facts), and
        the keys of every row read (a batch of a deleted link is dropped with the rest)."""
        i = inbox_table.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(inbox_table).order_by(i.received_at, i.view_id, i.seq)
                                .limit(self.FOLD_GROUP)).all()
        if not rows:
            return [], []
        owners = self._owners([row.link_id for row in rows])
        # once per render in the group: a render still being made is read from the database
        facts = {key: self.render_facts(*key) for key in {(row.link_id, row.device) for row in rows}}
        writes = []
        for row in rows:
            owner = owners.get(row.link_id)
            if owner is None:  # the link was deleted since: nothing to count it under
                continue
            batch = BeaconBatch(row.view_id, row.seq, row.device, events_from_json(row.events))
            writes.append(_Write(owner, row.view_id, row.device, batch, facts[(row.link_id, row.device)],
                                 row.received_at))
        return writes, [(row.view_id, row.seq) for row in rows]


class SQLiteWriterLock:
    """One beacon writer at a time per SQLite file, across threads and processes."""

    def __init__(self, database: str | None) -> None:
        self._thread_lock = threading.Lock()
        self._path = f"{database}.beacon.lock" if database and database != ":memory:" else None
        self._file: Any = None

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        if self._path is not None:
            try:
                if self._file is None:
                    self._file = open(self._path, "a")  # noqa: SIM115 - held for the store's life
                fcntl.flock(self._file, fcntl.LOCK_EX)
            except BaseException:
                self._thread_lock.release()
                raise

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
        self._thread_lock.release()


def _close_held(held: list[Connection]) -> None:
    while held:
        held.pop().close()
