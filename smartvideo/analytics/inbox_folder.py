"""The inbox's folder: who folds acknowledged beacon batches into views and counters, and when.

A beacon is answered once its batch is in the inbox (`analytics_inbox`); folding it (events,
view state, counters: most of the CPU of a beacon) is done apart from the request, many hundreds of
batches per transaction. One folder at a time per database (`FoldLock`: a lock file beside a
SQLite database, a session advisory lock on PostgreSQL), so a fold reads views no other fold is
changing. The web app folds in a thread of its own (`InboxFolder`), woken by each of its appends
once committed: every batch acknowledged is folded by its own process's folder (or by another's
that took the lock first), so none waits for a poll. A batch whose process died between its
answer and its fold is folded by the next fold of any process; a report folds what is left before
it reads (`BeaconStore.fold_pending`); `smartvideo analytics-fold` folds from a process of its own.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)

# pg_advisory_lock key of the folder: "svfolder" in ASCII, apart from the migration lock's
FOLD_LOCK_KEY = 0x7376666F6C646572


class FoldLock:
    """One folder at a time per database, across threads and processes (not reentrant)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._thread_lock = threading.Lock()
        database = engine.url.database
        self._path = (f"{database}.fold.lock" if engine.dialect.name == "sqlite" and database
                      and database != ":memory:" else None)
        self._file: Any = None
        self._conn: Connection | None = None

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        try:
            if self._path is not None:
                if self._file is None:
                    self._file = open(self._path, "a")  # noqa: SIM115 - held for the lock's life
                fcntl.flock(self._file, fcntl.LOCK_EX)
            elif self._engine.dialect.name == "postgresql":
                self._conn = self._engine.connect()
                self._conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": FOLD_LOCK_KEY})
                self._conn.commit()
        except BaseException:
            self._release_conn()
            self._thread_lock.release()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            if self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
            if self._conn is not None:
                self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": FOLD_LOCK_KEY})
                self._conn.commit()
                self._conn.close()
                self._conn = None
        finally:
            self._release_conn()
            self._thread_lock.release()

    def _release_conn(self) -> None:
        """After a failure: the session is ended (not returned to the pool), which frees its lock."""
        if self._conn is not None:
            self._conn.invalidate()
            self._conn.close()
            self._conn = None


class InboxFolder:
    """A daemon thread that runs `fold` when woken (this process appended), or also every `poll` s.

    Woken, it lets `gather` seconds of batches gather first: a fold's CPU per batch falls by half
    from groups of 8 batches to groups of hundreds (the counters of a group are summed before they
    are written), and a report folds what is left before it reads anyway.
    """

    def __init__(self, fold: Callable[[], int], poll: float | None = None, gather: float = 0.2) -> None:
        self._fold, self._poll, self._gather = fold, poll, gather
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="beacon-inbox-folder", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._poll)
            if self._stopping.wait(self._gather):
                return
            self._wake.clear()
            try:
                self._fold()
            except Exception:  # noqa: BLE001 - logged; the batches stay in the inbox for the next round
                log.exception("folding the beacon inbox failed")
                self._stopping.wait(1.0)
