"""Group commit: many requests' batches folded in one transaction.

Request threads queue their batch; one of them (the leader: whoever finds no other leading) writes
what has queued up (up to MAX_GROUP) in one transaction, then the next group, until the queue is
empty; the others wait for their group's commit. A batch is acknowledged only once it is stored.
Under load a group holds as many batches as arrived during the previous commit; alone, a batch is
a group of one and waits for nothing. No thread of its own: no hand-over to a writer thread and
back on every request.
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
    """`write_group(writes, slots)` must fill every slot (result or error); one group at a time."""

    MAX_GROUP = 256

    def __init__(self, write_group: Callable[[Sequence[W], Sequence[Slot[R]]], None]) -> None:
        self._write_group = write_group
        self._queue: queue.SimpleQueue[tuple[W, Slot[R]]] = queue.SimpleQueue()
        self._leading = threading.Lock()

    def submit(self, write: W) -> R:
        """Write `write` with the next group; returns its result once committed (or raises)."""
        slot: Slot[R] = Slot()
        self._queue.put((write, slot))
        # Lead if nobody does. A leader that found the queue empty looks again after letting go,
        # so a batch queued while it was finishing is never left without one.
        while self._leading.acquire(blocking=False):
            try:
                self._drain()
            finally:
                self._leading.release()
            if self._queue.empty():
                break
        slot.done.wait()
        if slot.error is not None:
            raise slot.error
        assert slot.result is not None
        return slot.result

    def _drain(self) -> None:
        while True:
            group: list[tuple[W, Slot[R]]] = []
            while len(group) < self.MAX_GROUP:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if not group:
                return
            writes, slots = [w for w, _ in group], [s for _, s in group]
            try:
                self._write_group(writes, slots)
            except BaseException as exc:  # noqa: BLE001 - handed to every request of the group
                for slot in slots:
                    if slot.result is None and slot.error is None:
                        slot.error = exc
            finally:
                for slot in slots:
                    slot.done.set()
