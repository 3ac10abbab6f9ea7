"""The counter changes of one group of beacon batches, summed per key and written at the group's end.

Three statements per group (one per counter table) instead of three per batch. Rows go in key
order, so two transactions never lock them crosswise. Values are driver-ready (see `driver_value`).
"""

from __future__ import annotations

from typing import Any

from smartvideo.analytics.reach import REACH_STAGES
from smartvideo.analytics.report_model import DAILY_COUNTERS, VIEWER_COUNTERS
from smartvideo.analytics.retention import SceneSpan
from smartvideo.analytics.sql_upsert import RawCursor, plain_sql
from smartvideo.analytics.tables import (
    clicks_table,
    daily_table,
    reach_table,
    scene_lists_table,
    scenes_table,
    seconds_table,
)
from smartvideo.analytics.view_state import ViewDelta

DIMENSIONS = ("story", "variant", "device", "campaign", "day")
DAILY_SUMS = (*DAILY_COUNTERS, *VIEWER_COUNTERS)
DAILY_COLUMNS = (*DIMENSIONS, *DAILY_SUMS, "max_seconds")
SECOND_COLUMNS = (*DIMENSIONS, "second", "views", "rewatches")
SCENE_SUMS = ("present", "entered", "continued", "start_sum", "end_sum")
SCENE_COLUMNS = (*DIMENSIONS, "scene", "position", *SCENE_SUMS)

Dims = tuple[Any, Any, Any, Any, Any]  # story, variant, device, campaign, day (driver value)


class CounterDeltas:
    def __init__(self) -> None:
        self.daily: dict[Dims, list[Any]] = {}
        self.seconds: dict[tuple[Any, ...], list[int]] = {}
        self.scenes: dict[tuple[Any, ...], list[Any]] = {}
        self.reach: dict[tuple[Any, ...], list[int]] = {}
        self.scene_lists: dict[Dims, str] = {}
        self.clicks: dict[tuple[Any, ...], list[int]] = {}

    def add_reach(self, dims: Dims, channel: str, stages: int) -> None:
        """Links reaching funnel stages for the first time (bit i = REACH_STAGES[i])."""
        slot = self.reach.setdefault((*dims, channel), [0] * len(REACH_STAGES))
        for i in range(len(REACH_STAGES)):
            slot[i] += stages >> i & 1

    def add_scene_list(self, dims: Dims, scenes: str) -> None:
        old = self.scene_lists.get(dims)
        self.scene_lists[dims] = scenes if old is None else max(old, scenes)

    def add_click(self, dims: Dims, scene: str, kind: str) -> None:
        self.clicks.setdefault((*dims, scene), [0, 0])[kind == "chapter"] += 1

    def add_view(
        self,
        dims: Dims,
        delta: ViewDelta,
        *,
        new_view: bool,
        new_viewer: bool,
        max_seconds: int,
        first_dims: Dims | None,
        newly: dict[str, int],
        scenes: tuple[SceneSpan, ...],
        newly_present: bool,
    ) -> None:
        """Everything one batch changed: day counters (and the customer's first-time flags, under
        the dimensions of the customer's first view), seconds and scenes."""
        values = [
            int(new_view),
            int(new_viewer),
            int(delta.opened),
            int(delta.played),
            int(delta.completed),
            int(delta.became_half),
            int(delta.cta),
            int(delta.errored),
            int(delta.became_rewatch_view),
            len(delta.new_seconds),
            sum(n for _, n in delta.rewatched),
            delta.watched_fraction,
            delta.watched_fraction_sq,
            0, 0, 0, 0,  # viewers_opened, _half, _completed, _cta
            max_seconds,
        ]
        if any(values[: len(DAILY_COUNTERS)]) or max_seconds:
            self._add_daily(dims, values)
        if first_dims is not None and any(newly.values()):
            flags = [newly["opened"], newly["half"], newly["completed"], newly["cta"]]
            self._add_daily(first_dims, [0] * len(DAILY_COUNTERS) + flags + [0])
        if delta.new_seconds or delta.rewatched:
            for second in delta.new_seconds:
                self.seconds.setdefault((*dims, second), [0, 0])[0] += 1
            for second, times in delta.rewatched:
                self.seconds.setdefault((*dims, second), [0, 0])[1] += times
        for index, scene in enumerate(scenes):
            entered, continued = delta.entered >> index & 1, delta.continued >> index & 1
            if newly_present or entered or continued:
                slot = self.scenes.get((*dims, scene.id))
                if slot is None:
                    slot = self.scenes[(*dims, scene.id)] = [index, 0, 0, 0, 0.0, 0.0]
                slot[1] += int(newly_present)
                slot[2] += entered
                slot[3] += continued
                if newly_present:
                    slot[4] += scene.start
                    slot[5] += scene.end

    def _add_daily(self, dims: Dims, values: list[Any]) -> None:
        old = self.daily.get(dims)
        if old is None:
            self.daily[dims] = values
            return
        for i in range(len(values) - 1):
            old[i] += values[i]
        old[-1] = max(old[-1], values[-1])

    def flush(self, cur: RawCursor, dialect: str) -> None:
        if self.daily:
            cur.executemany(plain_sql(dialect, daily_table, DAILY_COLUMNS, DAILY_SUMS, ("max_seconds",)),
                            [(*k, *v) for k, v in sorted(self.daily.items())])
        if self.seconds:
            cur.executemany(plain_sql(dialect, seconds_table, SECOND_COLUMNS, ("views", "rewatches")),
                            [(*k, *v) for k, v in sorted(self.seconds.items())])
        if self.scenes:
            cur.executemany(plain_sql(dialect, scenes_table, SCENE_COLUMNS, SCENE_SUMS),
                            [(*k, *v) for k, v in sorted(self.scenes.items())])
        if self.reach:
            cur.executemany(plain_sql(dialect, reach_table, (*DIMENSIONS, "channel", *REACH_STAGES), REACH_STAGES),
                            [(*k, *v) for k, v in sorted(self.reach.items())])
        if self.scene_lists:
            cur.executemany(plain_sql(dialect, scene_lists_table, (*DIMENSIONS, "scenes"), (), ("scenes",)),
                            [(*k, v) for k, v in sorted(self.scene_lists.items())])
        if self.clicks:
            cur.executemany(plain_sql(dialect, clicks_table, (*DIMENSIONS, "scene", "cta", "chapter"),
                                      ("cta", "chapter")),
                            [(*k, *v) for k, v in sorted(self.clicks.items())])
        for counters in (self.daily, self.seconds, self.scenes, self.reach, self.scene_lists, self.clicks):
            counters.clear()

