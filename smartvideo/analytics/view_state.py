"""One view's state (watched seconds, flags, scene progress) and the counter deltas a batch causes.

Pure: ingest loads the state, folds a batch into it here, writes the state back and adds the delta
to the aggregate counters. A second counts once per view for retention; a second watched again is a
rewatch, counted apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from smartvideo.analytics.events import Event, WatchEvent
from smartvideo.analytics.retention import SceneSpan, scene_seconds


@dataclass(frozen=True, slots=True)
class ViewState:
    watched: bytes  # bit s set = second s watched
    watched_count: int = 0
    rewatches: int = 0
    opened: bool = False
    played: bool = False
    completed: bool = False
    cta: bool = False
    errored: bool = False
    entered: int = 0  # bit i = scene i reached
    continued: int = 0  # bit i = went past scene i (or completed, for the last)

    @staticmethod
    def empty() -> ViewState:
        return ViewState(b"")

    def has(self, second: int) -> bool:
        byte = second >> 3
        return byte < len(self.watched) and bool(self.watched[byte] >> (second & 7) & 1)


@dataclass(frozen=True, slots=True)
class ViewDelta:
    new_seconds: tuple[int, ...]
    rewatched: tuple[tuple[int, int], ...]  # (second, times watched again)
    opened: bool
    played: bool
    completed: bool
    cta: bool
    errored: bool
    became_half: bool
    became_rewatch_view: bool
    entered: int  # scene bits newly set
    continued: int
    watched_fraction: float  # change of (watched seconds / video seconds)
    watched_fraction_sq: float  # change of its square (for the variance of avg_watched)

    @property
    def changes_flags(self) -> bool:
        return self.opened or self.played or self.completed or self.cta or self.became_half


def scene_masks(
    state_watched: bytes | bytearray, n_seconds: int, scenes: Sequence[SceneSpan], completed: bool
) -> tuple[int, int]:
    """Which scenes a view entered, and which it went past (bit i = scene i)."""
    watched = int.from_bytes(state_watched, "little") & ((1 << n_seconds) - 1)
    furthest = watched.bit_length() - 1
    entered = continued = 0
    last = len(scenes) - 1
    for index, scene in enumerate(scenes):
        span = scene_seconds(scene, n_seconds)
        if watched & ((1 << span.stop) - (1 << span.start)):
            entered |= 1 << index
            if completed if index == last else furthest >= span.stop:
                continued |= 1 << index
    return entered, continued


def fold_events(
    state: ViewState,
    events: Iterable[Event],
    n_seconds: int | None,
    scenes: Sequence[SceneSpan],
    counted_before: bool = True,
) -> tuple[ViewState, ViewDelta]:
    """Fold a batch of events into a view's state; the delta says what changed.

    counted_before=False: the video's length was unknown when the earlier seconds came (a
    progressive render not yet timed), so their watched fraction, half and end are counted now.
    """
    bits = bytearray(state.watched)
    new: list[int] = []
    again: Counter[int] = Counter()
    kinds: set[str] = set()
    for event in events:
        if isinstance(event, WatchEvent):
            second = event.second if n_seconds is None else min(event.second, n_seconds - 1)
            byte, bit = second >> 3, 1 << (second & 7)
            if byte >= len(bits):
                bits.extend(b"\0" * (byte + 1 - len(bits)))
            if bits[byte] & bit:
                again[second] += 1
            else:
                bits[byte] |= bit
                new.append(second)
        else:
            kinds.add(event.type)
    count = state.watched_count + len(new)
    n = n_seconds or 0
    old_count = min(state.watched_count, n) if counted_before else 0
    reached_end = n > 0 and (n - 1 in new or (not counted_before and ViewState(bytes(bits)).has(n - 1)))
    completed = state.completed or "ended" in kinds or reached_end
    entered, continued = scene_masks(bits, n, scenes, completed) if n and scenes else (state.entered, state.continued)
    entered |= state.entered
    continued |= state.continued
    old_fraction = old_count / n if n else 0.0
    fraction = min(count, n) / n if n else 0.0
    rewatches = state.rewatches + sum(again.values())
    new_state = ViewState(
        watched=bytes(bits),
        watched_count=count,
        rewatches=rewatches,
        opened=state.opened or "open" in kinds,
        played=state.played or "play" in kinds or bool(new),
        completed=completed,
        cta=state.cta or "cta" in kinds,
        errored=state.errored or "error" in kinds,
        entered=entered,
        continued=continued,
    )
    delta = ViewDelta(
        new_seconds=tuple(new),
        rewatched=tuple(sorted(again.items())),
        opened=new_state.opened and not state.opened,
        played=new_state.played and not state.played,
        completed=completed and not state.completed,
        cta=new_state.cta and not state.cta,
        errored=new_state.errored and not state.errored,
        became_half=n > 0 and count * 2 >= n and old_count * 2 < n,
        became_rewatch_view=rewatches > 0 and state.rewatches == 0,
        entered=entered & ~state.entered,
        continued=continued & ~state.continued,
        watched_fraction=fraction - old_fraction,
        watched_fraction_sq=fraction**2 - old_fraction**2,
    )
    return new_state, delta
