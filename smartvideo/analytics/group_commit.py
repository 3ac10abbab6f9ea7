"""Group commit: one writer thread folds many requests' batches into one transaction.

Request threads hand their batch to the writer and wait; the writer takes whatever has queued up
(up to MAX_GROUP), writes it in one transaction and answers each request after the commit, so a
batch is acknowledged only once it is stored. Under load a group holds as many batches as there
were requests in flight; alone, a batch is a group of one and waits for nothing.

The writer stops after IDLE_SECONDS without work (letting go of its database connection) and is
started again by the next batch.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

W = TypeVar("W")
R = TypeVar("R")


class Slot(Generic[R]):
    """Where the writer leaves one request's result (or the error it is to raise)."""

    __slots__ = ("done", "result", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupWriter(Generic[W, R]):
    """`write_group(writes, slots)` must fill every slot (result or error); it runs in one thread."""

    MAX_GROUP = 256
    IDLE_SECONDS = 10.0

    def __init__(self, write_group: Callable[[Sequence[W], Sequence[Slot[R]]], None],
                 on_idle: Callable[[], None] = lambda: None) -> None:
        self._write_group = write_group
        self._on_idle = on_idle
        self._queue: queue.SimpleQueue[tuple[W, Slot[R]]] = queue.SimpleQueue()
        self._running = False
        self._lock = threading.Lock()

    def submit(self, write: W) -> R:
        """Write `write` with the next group; returns its result once committed (or raises)."""
        slot: Slot[R] = Slot()
        self._queue.put((write, slot))
        if not self._running:
            with self._lock:
                if not self._running:
                    self._running = True
                    threading.Thread(target=self._run, name="beacon-writer", daemon=True).start()
        slot.done.wait()
        if slot.error is not None:
            raise slot.error
        assert slot.result is not None
        return slot.result

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self.IDLE_SECONDS)
            except queue.Empty:
                with self._lock:  # submit() puts before it looks at _running: nothing is left behind
                    if self._queue.empty():
                        self._running = False
                        self._on_idle()
                        return
                continue
            group = [first]
            while len(group) < self.MAX_GROUP:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            writes, slots = [w for w, _ in group], [s for _, s in group]
            try:
                self._write_group(writes, slots)
            except BaseException as exc:  # noqa: BLE001 - the writer must outlive any one group
                for slot in slots:
                    if slot.result is None and slot.error is None:
                        slot.error = exc
            finally:
                for slot in slots:
                    slot.done.set()
