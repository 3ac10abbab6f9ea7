"""What the player shows over the video, from the plan: chapters and the call to action.

Pure: the plan in, data and a WebVTT chapters document out. Chapters come from scene titles
(the optional scene `title:` key); a scene without a title belongs to the chapter before it.
The call to action is the story's `cta_url`, labelled by the first `cta` layer's text and shown
from that layer's start (else over the last scene).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from smartvideo.render.captions import cue_text, timestamp
from smartvideo.render.plan import RenderPlan

DEFAULT_CTA_LABEL = "Learn more"


@dataclass(frozen=True, slots=True)
class Chapter:
    title: str
    start: float
    end: float
    scene: int  # index of the scene the chapter starts with


@dataclass(frozen=True, slots=True)
class CallToAction:
    url: str
    label: str
    start: float  # seconds from video start
    # Where the drawn button is, as fractions of the frame (x, y, w, h): the link lies over it, so
    # clicking the pixels follows the link. None: no cta layer, the player places its own button.
    box: tuple[float, float, float, float] | None = None


def chapters_of(plan: RenderPlan) -> tuple[Chapter, ...]:
    titled = [scene for scene in plan.scenes if scene.title]
    chapters = []
    for n, scene in enumerate(titled):
        end = titled[n + 1].start if n + 1 < len(titled) else plan.duration
        chapters.append(Chapter(scene.title, scene.start, round(end, 6), scene.index))
    return tuple(chapters)


def call_to_action(plan: RenderPlan) -> CallToAction | None:
    if not plan.cta_url or not plan.scenes:
        return None
    for scene in plan.scenes:
        for layer in scene.layers:
            if layer.kind == "cta" and layer.text.strip():
                x, y, w, h = layer.box
                box = (x / plan.device.width, y / plan.device.height, w / plan.device.width, h / plan.device.height)
                return CallToAction(plan.cta_url, layer.text.strip(), round(scene.start + layer.start, 3),
                                    tuple(round(v, 4) for v in box))  # type: ignore[arg-type]
    return CallToAction(plan.cta_url, DEFAULT_CTA_LABEL, plan.scenes[-1].start)


def chapters_webvtt(chapters: tuple[Chapter, ...]) -> str:
    """A WebVTT chapters track (`<track kind="chapters">`): one cue per chapter."""
    blocks = ["WEBVTT"]
    blocks += [f"{timestamp(c.start)} --> {timestamp(c.end)}\n{cue_text(c.title)}" for c in chapters if c.end > c.start]
    return "\n\n".join(blocks) + "\n"


def player_extras(plan: RenderPlan) -> dict[str, Any]:
    """The player's side file: {"chapters": [...], "cta": {...} | None}."""
    cta = call_to_action(plan)
    return {"chapters": [asdict(c) for c in chapters_of(plan)], "cta": asdict(cta) if cta else None}
