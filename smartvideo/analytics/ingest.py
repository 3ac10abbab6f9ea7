"""Beacon ingest: one batch, one transaction; counters are updated as the events arrive.

Idempotent: the (view id, seq) key of `analytics_batches` is inserted first; a replayed batch finds it
and changes nothing. The view row is then locked (PostgreSQL: FOR UPDATE; SQLite: the insert already
holds the write lock), its state folded with the batch (pure, in `view_state`), and the delta added to
the counters that reports read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import queue
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, case, delete, func, insert, select, update

from smartvideo.analytics.events import BeaconBatch, Event, SimpleEvent, WatchEvent, check_plausible
from smartvideo.analytics.report_model import DAILY_COUNTERS, VIEWER_COUNTERS
from smartvideo.analytics.retention import SceneSpan, seconds_in
from smartvideo.analytics.sql_upsert import (
    add_counters,
    driver_executemany,
    driver_insert_new,
    driver_update,
    driver_value,
    insert_ignore,
)
from smartvideo.analytics.tables import (
    batches_table,
    daily_table,
    events_table,
    pending_table,
    scenes_table,
    seconds_table,
    viewers_table,
    views_table,
)
from smartvideo.analytics.view_state import ViewDelta, ViewState, fold_events
from smartvideo.links import Link, links_table
from smartvideo.storage.renders_table import renders_table

DIMENSIONS = ("story", "variant", "device", "campaign", "day")
BATCH_COLUMNS = ("view_id", "seq", "events", "received_at")
EVENT_COLUMNS = ("view_id", "seq", "idx", "type", "second", "t", "t_from", "message")
NEW_VIEW_COLUMNS = ("view_id", "link_id", "story", "variant", "device", "campaign", "day", "watched",
                    "watched_count", "rewatches", "opened", "played", "completed", "cta", "errored", "entered",
                    "continued", "created_at", "updated_at", "channel", "story_version", "notified")
VIEW_STATE_COLUMNS = ("n_seconds", "scenes", "watched", "watched_count", "rewatches", "opened", "played",
                      "completed", "cta", "errored", "entered", "continued", "updated_at")
UNTIMED = -1  # the pending row of a view folded before its render's scenes were timed
SECOND_COLUMNS = ("story", "variant", "device", "campaign", "day", "second", "views", "rewatches")


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


@dataclass(frozen=True, slots=True)
class IngestResult:
    stored: int  # events stored by this call (0 for a replay)
    duplicate: bool


def parse_scenes(text: str | None) -> tuple[SceneSpan, ...]:
    if not text:
        return ()
    return tuple(SceneSpan(str(s["id"]), float(s["start"]), float(s["end"])) for s in json.loads(text))


DAILY_SUMS = (*DAILY_COUNTERS, *VIEWER_COUNTERS)
DAILY_COLUMNS = (*DIMENSIONS, *DAILY_SUMS, "max_seconds")
SCENE_SUMS = ("present", "entered", "continued", "start_sum", "end_sum")


class CounterDeltas:
    """The counter changes of a group of batches, summed per key and written at the end of the
    group's transaction: three statements per group instead of three per batch. Rows go in key
    order, so two transactions never lock them crosswise."""

    def __init__(self) -> None:
        self.daily: dict[tuple[Any, ...], list[Any]] = {}
        self.seconds: dict[tuple[Any, ...], list[int]] = {}
        self.scenes: dict[tuple[Any, ...], dict[str, Any]] = {}

    def add_daily(self, row: tuple[Any, ...]) -> None:
        key, values = row[:5], row[5:]
        old = self.daily.get(key)
        if old is None:
            self.daily[key] = list(values)
        else:
            for i in range(len(values) - 1):
                old[i] += values[i]
            old[-1] = max(old[-1], values[-1])

    def add_seconds(self, row: tuple[Any, ...]) -> None:
        old = self.seconds.setdefault(row[:6], [0, 0])
        old[0] += row[6]
        old[1] += row[7]

    def add_scene(self, row: dict[str, Any]) -> None:
        key = tuple(row[c] for c in (*DIMENSIONS, "scene"))
        old = self.scenes.get(key)
        if old is None:
            self.scenes[key] = dict(row)
        else:
            for name in SCENE_SUMS:
                old[name] += row[name]

    def flush(self, conn: Connection) -> None:
        driver_executemany(conn, daily_table, DAILY_COLUMNS,
                           [(*k, *v) for k, v in sorted(self.daily.items())],
                           counters=DAILY_SUMS, maxima=("max_seconds",))
        driver_executemany(conn, seconds_table, SECOND_COLUMNS,
                           [(*k, *v) for k, v in sorted(self.seconds.items())], counters=("views", "rewatches"))
        add_counters(conn, scenes_table, [self.scenes[k] for k in sorted(self.scenes)], list(SCENE_SUMS))
        self.daily.clear()
        self.seconds.clear()
        self.scenes.clear()


@dataclass(frozen=True, slots=True)
class _Write:
    link: Link
    batch: BeaconBatch
    facts: RenderFacts | None
    now: dt.datetime


class _Slot:
    """Where the writer leaves one request's result."""

    __slots__ = ("done", "result", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: IngestResult | None = None
        self.error: BaseException | None = None


class GroupWriter:
    """One writer thread per store: batches queued by request threads are written in groups, one
    transaction (one commit) per group. A request waits for its group's commit, so a batch is
    acknowledged only once it is stored: nothing acknowledged is lost."""

    MAX_GROUP = 128

    def __init__(self, write_group: Callable[[list[tuple[_Write, _Slot]]], None]) -> None:
        self._write_group = write_group
        self._queue: queue.SimpleQueue[tuple[_Write, _Slot]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, write: _Write) -> IngestResult:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="beacon-writer", daemon=True)
                    self._thread.start()
        slot = _Slot()
        self._queue.put((write, slot))
        slot.done.wait()
        if slot.error is not None:
            raise slot.error
        assert slot.result is not None
        return slot.result

    def _run(self) -> None:
        while True:
            group = [self._queue.get()]
            while len(group) < self.MAX_GROUP:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._write_group(group)
            except BaseException as exc:  # noqa: BLE001 - the writer must outlive any one group
                for _, slot in group:
                    slot.error = slot.error or exc
                    slot.done.set()


class BeaconStore:
    """Stores beacon batches in SQL; one per engine (it caches finished renders, which never change)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._ready: dict[tuple[str, str], RenderFacts] = {}
        self._lock = threading.Lock()
        # SQLite has one writer at a time; waiting on a lock here beats SQLite's sleeping busy handler.
        self._write_lock = threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        self._dialect = engine.dialect.name
        self._writer = GroupWriter(self._write_group)
        self._select_view = select(views_table).where(views_table.c.view_id == bindparam("v_id"))
        if self._dialect == "postgresql":
            self._select_view = self._select_view.with_for_update()
        v = viewers_table.c
        self._select_viewer = select(
            v.variant, v.device, v.campaign, v.first_day, v.opened, v.half, v.completed, v.cta
        ).where(v.story == bindparam("v_story"), v.link_id == bindparam("v_link"))
        if self._dialect == "postgresql":  # two views of one customer at once: flags counted once
            self._select_viewer = self._select_viewer.with_for_update()
        self._update_viewer = (
            update(viewers_table)
            .where(v.story == bindparam("v_story"), v.link_id == bindparam("v_link"))
            .values(views=v.views + bindparam("v_add"))
        )

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
        """Store one validated batch for a link; raises BeaconRejected (nothing stored) if implausible.

        A batch whose render is not planned yet (its variant unknown) is stored and kept pending; it
        is folded into its view, under the right variant, with the view's next batch or by
        `fold_pending` (reports call it), so nothing is counted under a variant it did not see.
        """
        now = now or dt.datetime.now(dt.UTC)
        facts = self.render_facts(link.id, batch.device)
        check_plausible(batch, facts.n_seconds if facts else None)
        return self._writer.submit(_Write(link, batch, facts, now))

    def _write_group(self, group: list[tuple[_Write, _Slot]]) -> None:
        """Group commit: many requests' batches in one transaction. Should one fail (a view id of
        another link), the group is rolled back and each batch written alone, so it fails alone."""
        try:
            with self._write_lock, self.engine.begin() as conn:
                deltas = CounterDeltas()
                results = [self._write(conn, write, deltas) for write, _ in group]
                deltas.flush(conn)
        except Exception:  # noqa: BLE001 - retried one by one below, each error to its own request
            for write, slot in group:
                try:
                    with self._write_lock, self.engine.begin() as conn:
                        deltas = CounterDeltas()
                        slot.result = self._write(conn, write, deltas)
                        deltas.flush(conn)
                except Exception as exc:  # noqa: BLE001 - handed to the waiting request
                    slot.error = exc
        else:
            for (_, slot), result in zip(group, results, strict=True):
                slot.result = result
        finally:
            for _, slot in group:
                slot.done.set()

    def _write(self, conn: Connection, write: _Write, deltas: CounterDeltas) -> IngestResult:
        link, batch, facts, now = write.link, write.batch, write.facts, write.now
        fresh = driver_insert_new(
            conn,
            batches_table,
            BATCH_COLUMNS,
            (batch.view, batch.seq, len(batch.events), driver_value(conn, now)),
            "seq",
        )
        if not fresh:
            return IngestResult(0, True)
        self._store_events(conn, batch)
        if facts is None or not facts.planned:
            conn.execute(insert(pending_table).values(view_id=batch.view, seq=batch.seq, link_id=link.id,
                                                      device=batch.device))
        else:
            self._fold_into_view(conn, link, batch.view, batch.device, batch.events, facts, now, deltas)
        return IngestResult(len(batch.events), False)

    def fold_pending(self, now: dt.datetime | None = None) -> int:
        """Fold what waits on a render's plan: batches that came before its variant was known, and
        views that ended before its scenes were timed (their length, half, scenes count now).
        Returns the views folded."""
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
            with self._write_lock, self.engine.begin() as conn:
                row = conn.execute(select(links_table).where(links_table.c.id == link_id)).first()
                if row is None:
                    continue
                owner = ViewOwner(row.id, row.story, row.customer_id, row.variant, row.campaign, row.channel)
                deltas = CounterDeltas()
                self._fold_into_view(conn, owner, view_id, device, (), facts, now, deltas)
                deltas.flush(conn)
            folded += 1
        return folded

    @staticmethod
    def _take_pending(conn: Connection, view_id: str) -> tuple[Event, ...]:
        """The events of a view's pending batches, in order, removing them from the pending list."""
        p, e = pending_table.c, events_table.c
        rows = conn.execute(
            select(e.type, e.second, e.t, e.t_from, e.message)
            .join(pending_table, (p.view_id == e.view_id) & (p.seq == e.seq))
            .where(p.view_id == view_id)
            .order_by(e.seq, e.idx)
        ).all()
        if rows:
            conn.execute(delete(pending_table).where(p.view_id == view_id))
        return tuple(
            WatchEvent(second) if kind == "watch"
            else SimpleEvent(kind, t, t_from, message, second if kind == "chapter" else None)
            for kind, second, t, t_from, message in rows
        )

    @staticmethod
    def _store_events(conn: Connection, batch: BeaconBatch) -> None:
        rows = [
            (batch.view, batch.seq, idx, "watch", e.second, None, None, None)
            if isinstance(e, WatchEvent)
            else (batch.view, batch.seq, idx, e.type, e.scene, e.t, e.t_from, e.message)
            for idx, e in enumerate(batch.events)
        ]
        driver_executemany(conn, events_table, EVENT_COLUMNS, rows)

    def _fold_into_view(
        self,
        conn: Connection,
        link: Link | ViewOwner,
        view_id: str,
        device: str,
        events: tuple[Event, ...],
        facts: RenderFacts,
        now: dt.datetime,
        deltas: CounterDeltas,
    ) -> None:
        variant = facts.variant or link.variant or ""
        # most batches continue a view: look it up first, insert only when it is new
        view = conn.execute(self._select_view, {"v_id": view_id}).first()
        new_view = False
        if view is None:
            row = (view_id, link.id, link.story, variant, device, link.campaign or "", now.date(), b"",
                   0, 0, False, False, False, False, False, 0, 0, now, now, link.channel, facts.story_version or "",
                   False)
            new_view = driver_insert_new(conn, views_table, NEW_VIEW_COLUMNS,
                                         tuple(driver_value(conn, value) for value in row), "view_id")
            view = conn.execute(self._select_view, {"v_id": view_id}).one()
        if new_view:  # batches that came before the render was planned go first
            events = self._take_pending(conn, view_id) + events
        if new_view and facts.n_seconds is None:  # not timed yet: fold_pending finishes it if no batch does
            conn.execute(insert(pending_table).values(view_id=view_id, seq=UNTIMED, link_id=link.id, device=device))
        if view.link_id != link.id:
            from smartvideo.analytics.errors import BeaconRejected

            raise BeaconRejected("view id belongs to another link")
        n_seconds, scenes_json = view.n_seconds, view.scenes
        learned_render = n_seconds is None and facts.n_seconds is not None
        if learned_render:
            if not new_view:
                p = pending_table.c
                conn.execute(delete(pending_table).where(p.view_id == view_id, p.seq == UNTIMED))
            n_seconds, scenes_json = facts.n_seconds, facts.scenes_json
        scenes = parse_scenes(scenes_json)
        state = ViewState(
            bytes(view.watched),
            view.watched_count,
            view.rewatches,
            view.opened,
            view.played,
            view.completed,
            view.cta,
            view.errored,
            view.entered,
            view.continued,
        )
        new_state, delta = fold_events(state, events, n_seconds, scenes, counted_before=not learned_render)
        driver_update(conn, views_table, VIEW_STATE_COLUMNS, "view_id", (
            n_seconds, scenes_json, new_state.watched, new_state.watched_count, new_state.rewatches,
            new_state.opened, new_state.played, new_state.completed, new_state.cta, new_state.errored,
            new_state.entered, new_state.continued, driver_value(conn, now), view_id))
        dims = {
            "story": view.story,
            "variant": view.variant,
            "device": view.device,
            "campaign": view.campaign,
            "day": view.day,
        }
        new_viewer, first_dims, newly = self._count_viewer(conn, link, view, new_view, delta)
        self._add_daily(conn, deltas, dims, delta, new_view, new_viewer, n_seconds if learned_render else 0,
                        first_dims, newly)
        self._add_seconds(conn, deltas, dims, delta)
        self._add_scenes(deltas, dims, scenes if learned_render else (), delta, scenes)

    def _count_viewer(
        self, conn: Connection, link: Link | ViewOwner, view: Any, new_view: bool, delta: ViewDelta
    ) -> tuple[bool, dict[str, Any] | None, dict[str, int]]:
        """Keep the customer's row (views, engagement flags).

        Returns whether the customer is new, the dimensions of its first view, and the engagement
        flags it gets for the first time (counted under those dimensions).
        """
        if not (new_view or delta.changes_flags):
            return False, None, {}
        flags = {
            "opened": int(delta.opened),
            "half": int(delta.became_half),
            "completed": int(delta.completed),
            "cta": int(delta.cta),
        }
        new_viewer = False
        if new_view:
            new_viewer = (
                conn.execute(
                    insert_ignore(self._dialect, viewers_table, "link_id"),
                    {
                        "story": view.story,
                        "link_id": link.id,
                        "customer_id": link.customer_id,
                        "variant": view.variant,
                        "device": view.device,
                        "campaign": view.campaign,
                        "first_day": view.day,
                        "views": 1,
                        **flags,
                    },
                ).first()
                is not None
            )
        if new_viewer:
            first = {
                "story": view.story,
                "variant": view.variant,
                "device": view.device,
                "campaign": view.campaign,
                "day": view.day,
            }
            newly = flags
        else:
            key = {"v_story": view.story, "v_link": link.id}
            old = conn.execute(self._select_viewer, key).one()
            first = {
                "story": view.story,
                "variant": old.variant,
                "device": old.device,
                "campaign": old.campaign,
                "day": old.first_day,
            }
            newly = {name: int(on and not getattr(old, name)) for name, on in flags.items()}
            if new_view or any(newly.values()):
                conn.execute(
                    self._update_viewer,
                    {
                        **key,
                        "v_add": int(new_view),
                        **{name: int(getattr(old, name) or newly[name]) for name in flags},
                    },
                )
        return new_viewer, first, newly

    @staticmethod
    def _add_daily(
        conn: Connection,
        deltas: CounterDeltas,
        dims: dict[str, Any],
        delta: ViewDelta,
        new_view: bool,
        new_viewer: bool,
        max_seconds: int,
        first_dims: dict[str, Any] | None,
        newly: dict[str, int],
    ) -> None:
        """Add the view's changes (and the customer's first-time flags) to the day counters."""
        row = dict(
            dims,
            views=int(new_view),
            new_viewers=int(new_viewer),
            opens=int(delta.opened),
            plays=int(delta.played),
            completions=int(delta.completed),
            halves=int(delta.became_half),
            ctas=int(delta.cta),
            errors=int(delta.errored),
            rewatch_views=int(delta.became_rewatch_view),
            watched_seconds=len(delta.new_seconds),
            rewatched_seconds=sum(n for _, n in delta.rewatched),
            watched_sum=delta.watched_fraction,
            watched_sq_sum=delta.watched_fraction_sq,
            max_seconds=max_seconds,
            **dict.fromkeys(VIEWER_COUNTERS, 0),
        )
        rows = [row] if any(row[name] for name in DAILY_COUNTERS) or max_seconds else []
        if first_dims is not None and any(newly.values()):
            if first_dims == dims and rows:
                target = row
            else:
                target = dict(first_dims, **dict.fromkeys(row.keys() - first_dims.keys(), 0))
                rows.append(target)
            for name, on in newly.items():
                target[f"viewers_{name}"] += on
        for r in rows:
            deltas.add_daily(tuple(driver_value(conn, r[c]) for c in DAILY_COLUMNS))

    @staticmethod
    def _add_seconds(conn: Connection, deltas: CounterDeltas, dims: dict[str, Any], delta: ViewDelta) -> None:
        counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for second in delta.new_seconds:
            counts[second][0] += 1
        for second, times in delta.rewatched:
            counts[second][1] += times
        day = dims["day"] if conn.dialect.name == "postgresql" else dims["day"].isoformat()
        key = (dims["story"], dims["variant"], dims["device"], dims["campaign"], day)
        for s, (v, r) in counts.items():
            deltas.add_seconds((*key, s, v, r))

    @staticmethod
    def _add_scenes(
        deltas: CounterDeltas,
        dims: dict[str, Any],
        newly_present: tuple[SceneSpan, ...],
        delta: ViewDelta,
        scenes: tuple[SceneSpan, ...],
    ) -> None:
        for index, scene in enumerate(scenes):
            present = scene in newly_present
            entered, continued = delta.entered >> index & 1, delta.continued >> index & 1
            if present or entered or continued:
                deltas.add_scene(
                    dict(
                        dims,
                        scene=scene.id,
                        position=index,
                        present=int(present),
                        entered=entered,
                        continued=continued,
                        start_sum=scene.start if present else 0.0,
                        end_sum=scene.end if present else 0.0,
                    )
                )
