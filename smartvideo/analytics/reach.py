"""How far a view got (funnel stages) and which scene a click belongs to: pure, for ingest's counters.

A link reaches a stage when any of its views does; ingest keeps the link's stages as bits and counts
each link once per stage, so the report's funnel and channels need no pass over the views.
"""

from __future__ import annotations

from collections.abc import Sequence

from smartvideo.analytics.retention import SceneSpan
from smartvideo.analytics.view_state import ViewState

REACH_STAGES = ("opened", "played", "watched_25", "watched_50", "watched_75", "watched_100", "cta")
CLICK_KINDS = ("cta", "chapter")


def reached_stages(state: ViewState, n_seconds: int | None) -> int:
    """The funnel stages of one view as bits (bit i = REACH_STAGES[i]).

    A quarter is reached by seconds watched (counted once each) against the video's length, or by
    completing it; before the render is timed only completing counts.
    """
    bits = int(state.opened) | int(state.played) << 1 | int(state.cta) << 6
    for i, pct in enumerate((25, 50, 75)):
        if state.completed or (n_seconds and state.watched_count * 100 >= n_seconds * pct):
            bits |= 1 << (2 + i)
    if state.completed:
        bits |= 1 << 5
    return bits


def click_scene(kind: str, t: float | None, scene_index: int | None, scenes: Sequence[SceneSpan]) -> str | None:
    """The scene a click counts for: a chapter jump's target scene, else the scene showing at its
    time (past the end: the last); None for a click with neither."""
    if kind == "chapter" and scene_index is not None and scene_index < len(scenes):
        return scenes[scene_index].id
    if t is not None:
        showing = next((s for s in scenes if s.start <= t < s.end), scenes[-1] if scenes else None)
        return showing.id if showing else None
    return None
