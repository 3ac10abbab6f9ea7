"""Group commit: every submitted write is answered once its group is written, whoever leads."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest

from smartvideo.analytics.group_commit import GroupWriter, Slot


def test_concurrent_writes_are_grouped_and_each_gets_its_own_result() -> None:
    groups: list[list[int]] = []

    def write_group(writes: Sequence[int], slots: Sequence[Slot[int]]) -> None:
        time.sleep(0.005)  # a commit takes a while: writes queue up behind it
        groups.append(list(writes))
        for write, slot in zip(writes, slots, strict=True):
            slot.result = write * 10

    writer: GroupWriter[int, int] = GroupWriter(write_group)
    results: dict[int, int] = {}

    def submit(n: int) -> None:
        results[n] = writer.submit(n)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == {n: n * 10 for n in range(200)}
    assert sorted(n for group in groups for n in group) == list(range(200))  # each written once
    assert max(len(group) for group in groups) > 1  # written together, not one commit each


def test_a_failed_group_raises_in_its_own_requests_and_the_writer_goes_on() -> None:
    def write_group(writes: Sequence[int], slots: Sequence[Slot[int]]) -> None:
        if 13 in writes:
            raise ValueError("unlucky")
        for write, slot in zip(writes, slots, strict=True):
            slot.result = write

    writer: GroupWriter[int, int] = GroupWriter(write_group)
    with pytest.raises(ValueError, match="unlucky"):
        writer.submit(13)
    assert writer.submit(14) == 14
