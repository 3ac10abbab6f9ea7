"""The RenderPlan: a frozen, fully resolved description of one video.

No templates are left in it: texts are final, boxes are pixels, durations are seconds rounded to
whole frames. Everything after planning is a deterministic function of these objects, so the
content hash of a PlannedScene is its segment cache key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class DeviceProfile:
    name: str
    width: int
    height: int
    fps: int = 25
    video_bitrate: str = "2500k"  # ceiling for the encoder (maxrate)
    crf: int = 23

    @property
    def portrait(self) -> bool:
        return self.height > self.width

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)


@dataclass(frozen=True, slots=True)
class TextStyle:
    """How a text-bearing layer looks, resolved from the brand theme."""

    font: str  # path to a TTF/OTF file
    fallback_fonts: tuple[str, ...]  # used for glyphs the main font lacks
    color: str  # "#rrggbb" or "#rrggbbaa"
    max_size: int  # largest font size in pixels; text shrinks below it to fit the box
    min_size: int  # never smaller than this: wrap first, then shrink, then ellipsis
    align: str = "left"  # left | center | right
    valign: str = "top"  # top | middle | bottom
    line_spacing: float = 1.15
    uppercase: bool = False
    background: str | None = None  # pill/button colour behind the text (CTA)
    shadow: bool = False


@dataclass(frozen=True, slots=True)
class ChartItem:
    label: str
    value: float
    value_text: str  # the value as the viewer reads it, e.g. "€12.50"
    color: str


@dataclass(frozen=True, slots=True)
class PlannedLayer:
    """One overlay drawn by Pillow and composited by ffmpeg."""

    kind: str  # text | number | image | chart | cta | logo
    box: tuple[int, int, int, int]  # x, y, w, h in pixels of the device frame
    start: float  # seconds from scene start
    end: float | None  # seconds from scene start; None = to the end of the scene
    animation: str = "none"  # none | fade | slide_up | slide_left | count_up
    animation_duration: float = 0.5
    text: str = ""
    style: TextStyle | None = None
    image: str | None = None  # path of an image file (image and logo layers)
    image_hash: str | None = None  # content hash of that file, so edits bust the cache
    chart_kind: str | None = None  # bars | donut
    chart_items: tuple[ChartItem, ...] = ()
    number: float | None = None  # count-up target value
    number_format: str | None = None  # money | integer | decimal | percent
    locale: str = "en"
    currency: str = "EUR"


@dataclass(frozen=True, slots=True)
class Background:
    kind: str  # color | gradient | image | video
    colors: tuple[str, ...] = ()
    path: str | None = None
    file_hash: str | None = None
    loop: bool = True


@dataclass(frozen=True, slots=True)
class VoiceLine:
    text: str
    profile: str  # voice profile id
    offset: float  # seconds from scene start
    duration: float
    audio: str | None = None  # path of the synthesized WAV (not part of the scene hash)


@dataclass(frozen=True, slots=True)
class PlannedScene:
    id: str
    index: int
    start: float  # seconds from video start
    duration: float  # whole frames
    background: Background
    layers: tuple[PlannedLayer, ...]
    voice: VoiceLine | None
    personal: bool  # True when any of it came from customer data
    title: str = ""  # chapter name (not drawn: not part of the visual key)

    def visual_key(self, device: DeviceProfile, renderer_version: str) -> str:
        """Hash of everything that decides this scene's pixels: the segment cache key."""
        payload = {
            "device": asdict(device),
            "renderer": renderer_version,
            "duration": self.duration,
            "background": asdict(self.background),
            "layers": [asdict(layer) for layer in self.layers],
        }
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class RenderPlan:
    story_id: str
    customer_key: str  # a hash of the customer id, never the id itself
    variant: str
    device: DeviceProfile
    locale: str
    scenes: tuple[PlannedScene, ...]
    music: str | None = None
    music_volume: float = 0.25
    title: str = ""
    cta_url: str | None = None

    @property
    def duration(self) -> float:
        if not self.scenes:
            return 0.0
        last = self.scenes[-1]
        return round(last.start + last.duration, 6)

    def scene_bounds(self) -> list[dict[str, float | str]]:
        """Scene boundaries for analytics: id, start, end in seconds, and whether it is personal."""
        return [
            {"id": s.id, "start": s.start, "end": round(s.start + s.duration, 6), "personal": s.personal}
            for s in self.scenes
        ]
