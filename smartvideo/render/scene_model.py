"""What scene authors write, parsed and checked: scenes, stories, themes, variants.

These are the YAML files as data (templates still unresolved). `scene_loader` builds them and
reports every mistake as `file:line: message`; the planner trusts their types.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smartvideo.render.contract import DataContract
from smartvideo.render.templating import Where

Box = tuple[float, float, float, float]  # x, y, w, h as fractions of the frame

LAYER_KINDS = ("text", "number", "image", "chart", "cta", "logo")
ANIMATIONS = ("none", "fade", "slide_up", "slide_left", "count_up")
NUMBER_FORMATS = ("money", "integer", "decimal", "percent")
MONEY_CENTS = ("always", "when_needed")  # a story's choice: 135.00 or 135 for whole amounts


@dataclass(frozen=True, slots=True)
class ChartSpec:
    kind: str  # bars | donut
    items: str  # expression giving a list of records, e.g. "bill.lines"
    label: str  # key of each item's label
    value: str  # key of each item's value
    value_format: str = "money"
    limit: int = 6  # more items than this are summed into "Other"


@dataclass(frozen=True, slots=True)
class LayerSpec:
    kind: str
    content: str  # template text; for image layers a (template) path
    box: Box
    portrait_box: Box | None
    style: str
    where: Where
    align: str | None = None
    valign: str | None = None
    start: float = 0.0
    end: float | None = None
    animation: str = "none"
    animation_duration: float = 0.5
    number_format: str | None = None
    chart: ChartSpec | None = None
    when: str | None = None  # expression: the layer is drawn only when true
    device_content: tuple[tuple[str, str], ...] = ()  # (device name, text) replacing `content`
    style_from: str | None = None  # expression giving a theme style name

    def content_for(self, device: str) -> str:
        return dict(self.device_content).get(device, self.content)


@dataclass(frozen=True, slots=True)
class BackgroundSpec:
    kind: str  # color | gradient | image | video
    colors: tuple[str, ...] = ()
    path: str | None = None  # relative to the content root
    loop: bool = True


@dataclass(frozen=True, slots=True)
class SceneSpec:
    id: str
    duration: float | None  # None = auto: fit the voice line
    background: BackgroundSpec
    layers: tuple[LayerSpec, ...]
    voice: str | None
    where: Where
    when: str | None = None
    padding: float = 0.6  # silence after the voice line for auto durations
    voice_offset: float = 0.3  # the voice starts this long after the scene
    min_duration: float = 2.0
    voice_where: Where | None = None  # where the voice line is written, for error messages
    title: str = ""  # chapter name in the player; untitled scenes belong to the chapter before


@dataclass(frozen=True, slots=True)
class SceneRef:
    scene: str
    where: Where
    when: str | None = None


@dataclass(frozen=True, slots=True)
class SceneOverride:
    """A variant's changes to one scene."""

    voice: str | None = None
    duration: float | None = None
    background: BackgroundSpec | None = None
    layer_content: tuple[tuple[int, str], ...] = ()  # (layer index, new text or image path)


@dataclass(frozen=True, slots=True)
class VariantSpec:
    name: str
    weight: float
    where: Where
    scenes: tuple[SceneRef, ...] | None = None
    voice: str | None = None
    overrides: tuple[tuple[str, SceneOverride], ...] = ()


@dataclass(frozen=True, slots=True)
class AllocationSpec:
    """`allocation: adaptive`: traffic moves to the variant that wins on `reward` (Thompson
    sampling, nba.adaptive), each variant keeping at least `min_share` of new links."""

    mode: str = "adaptive"
    reward: str = "cta"  # cta | completion
    min_share: float = 0.1


@dataclass(frozen=True, slots=True)
class StyleSpec:
    font: str  # a font key of the theme
    size: float  # largest size as a fraction of the frame's shorter side
    color: str  # a colour key of the theme or "#rrggbb"
    align: str = "left"
    valign: str = "top"
    background: str | None = None
    uppercase: bool = False
    shadow: bool = False
    line_spacing: float = 1.15


@dataclass(frozen=True, slots=True)
class ThemeSpec:
    id: str
    colors: dict[str, str]
    fonts: dict[str, str]  # key -> path relative to the content root
    fallback_fonts: tuple[str, ...]
    styles: dict[str, StyleSpec]
    chart_colors: tuple[str, ...]
    where: Where
    logo: str | None = None

    def color(self, name: str) -> str:
        return self.colors.get(name, name)


@dataclass(frozen=True, slots=True)
class SampleSpec:
    data: str  # data file relative to the content root
    customer: str


@dataclass(frozen=True, slots=True)
class StoreLookupSpec:
    """Click context: pick the nearest store to the viewer's location."""

    data: str  # stores file relative to the content root
    location: str = "customer.location"  # record field with {lat, lon}; a click `location` wins


@dataclass(frozen=True, slots=True)
class StorySpec:
    id: str
    title: str
    theme: str
    voice: str
    scenes: tuple[SceneRef, ...]
    where: Where
    locale: str = "en"
    currency: str = "EUR"
    music: str | None = None
    music_volume: float = 0.22
    cta_url: str | None = None
    variants: tuple[VariantSpec, ...] = ()
    defaults: dict[str, object] = field(default_factory=dict)
    sample: SampleSpec | None = None
    stores: StoreLookupSpec | None = None
    data: str | None = None  # default customer data file for this story
    allocation: AllocationSpec | None = None  # None: variants by fixed weight
    money_cents: str = "always"  # always | when_needed (whole amounts drop .00)
    contract: DataContract | None = None  # the fields its scenes and voice may use, by type

    def variant(self, name: str) -> VariantSpec | None:
        return next((v for v in self.variants if v.name == name), None)

    @property
    def customer_data(self) -> str | None:
        """Where its customers are looked up: `data:`, else the sample's file (content-relative)."""
        return self.data or (self.sample.data if self.sample else None)
