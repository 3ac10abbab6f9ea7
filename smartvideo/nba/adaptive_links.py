"""Adaptive variants at the click: a link of a story with `allocation: adaptive` gets its variant
by Thompson sampling at its first click (kept for the link); other links are left alone.

All it needs of the story is its allocation and its variants' names, so it reads the story's own
file (`render.story_file`: the loader's parser, once per version of the file). A web process in
scaled mode renders nothing: it answers a click without building the content library (every
scene, theme and voice), which its first click used to do just for this.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from smartvideo.links import Link, choose_variant, link_by_id
from smartvideo.nba import store
from smartvideo.nba.adaptive import thompson_pick
from smartvideo.render.scene_model import AllocationSpec
from smartvideo.render.story_file import read_story

STATS_TTL = 5.0  # seconds: the counters move slowly; one query per story per 5 s


@dataclass(frozen=True, slots=True)
class StoryAllocation:
    story: str
    allocation: AllocationSpec
    variants: tuple[str, ...]


def story_allocation(root: Path, story_id: str) -> StoryAllocation | None:
    """The story's adaptive allocation and its variants; None when it allocates by fixed weight
    or there is no such story under `root`. Reads only the story's file (cached per version)."""
    story = read_story(root, story_id)
    if story is None or story.allocation is None:
        return None
    return StoryAllocation(story.id, story.allocation, tuple(v.name for v in story.variants))


class AdaptiveVariants:
    """Picks the variant of an adaptive story's link at its first click; thread-safe."""

    def __init__(self, engine: Engine, content_root: Path, rng: random.Random | None = None) -> None:
        self.engine, self.root = engine, content_root
        self.rng = rng or random.Random()
        self._lock = threading.Lock()
        self._stats: dict[str, tuple[dict[str, tuple[int, int]], float]] = {}

    def _stats_for(self, story: StoryAllocation) -> dict[str, tuple[int, int]]:
        cached = self._stats.get(story.story)
        if cached is None or cached[1] < time.monotonic():
            stats = store.variant_stats(self.engine, story.story, story.variants, story.allocation.reward)
            cached = (stats, time.monotonic() + STATS_TTL)
            self._stats[story.story] = cached
        return cached[0]

    def choose_for_link(self, link: Link, secret: str, now: dt.datetime | None = None) -> Link:
        if link.variant or not link.story:
            return link
        story = story_allocation(self.root, link.story)
        if story is None:
            return link
        stats = self._stats_for(story)
        with self._lock:
            variant = thompson_pick(stats, story.allocation.min_share, self.rng)
        now = now or dt.datetime.now(dt.UTC)
        if choose_variant(self.engine, link.id, variant):
            store.record_variant_pick(self.engine, link.id, story.story, variant, now)
        return link_by_id(self.engine, secret, link.id, now)
