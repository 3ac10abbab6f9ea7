"""Every key a scene author may write, with its type and meaning: the one list of options.

The loader checks files against these tables (unknown keys, required keys), `smartvideo schema`
turns them into JSON Schema for editors, and docs/authoring.md is tested against them, so the
three cannot drift apart. A branch that adds a key adds it here, once.
"""

from __future__ import annotations

from dataclasses import dataclass

from smartvideo.render.devices import PROFILES
from smartvideo.render.scene_model import ANIMATIONS, LAYER_KINDS, MONEY_CENTS, NUMBER_FORMATS

ALIGNS = ("left", "center", "right")
VALIGNS = ("top", "middle", "bottom")
CHART_KINDS = ("bars", "donut")
DEVICE_NAMES = tuple(PROFILES)


@dataclass(frozen=True, slots=True)
class Key:
    """One key: its value type (see TYPES), what it means, and whether it must be given."""

    type: str
    doc: str
    required: bool = False
    choices: tuple[str, ...] = ()
    # object: the table the value follows; mapping: the table or type of each value (by name);
    # list: the table or type of each item.
    of: str | None = None
    names: tuple[str, ...] = ()  # mapping: the only names it may have


# Value types, each with the JSON Schema fragment an editor checks it with.
TYPES: dict[str, dict[str, object]] = {
    "text": {"type": ["string", "number"], "description": "text (a number is read as text)"},
    "template": {"type": "string", "description": "text with Jinja2 fields: 'Hi {{ customer.first_name }}'"},
    "expression": {"type": "string", "description": "a Jinja2 expression: 'bill.total > 0'"},
    "number": {"type": "number", "description": "a number"},
    "seconds": {"type": "number", "minimum": 0, "description": "seconds, e.g. 0.5"},
    "flag": {"type": "boolean", "description": "true or false"},
    "box": {"type": "array", "items": {"type": "number", "minimum": 0, "maximum": 1},
            "minItems": 4, "maxItems": 4,
            "description": "[x, y, w, h] as fractions of the frame: [0.1, 0.2, 0.5, 0.1]"},
    "color": {"type": "string", "description": "'#rrggbb', '#rrggbbaa', or in themes a colour name of the theme"},
    "path": {"type": "string", "description": "a file path relative to the content folder"},
    "choice": {"type": "string", "description": "one of the listed words"},
    "duration": {"oneOf": [{"const": "auto"}, {"type": "number", "minimum": 0.5, "maximum": 120}],
                 "description": "seconds (0.5-120) or auto"},
    "background": {"oneOf": [{"type": "string"}, {"$ref": "#/$defs/background"}],
                   "description": "a colour '#rrggbb', or a background mapping"},
    "logo": {"oneOf": [{"const": True}, {"type": "string"}], "description": "true, or a logo file path"},
    "mapping": {"type": "object", "description": "name: value lines"},
    "object": {"type": "object", "description": "a mapping with the keys of its table"},
    "list": {"type": "array", "description": "a list (- item lines or [a, b])"},
    "any": {"description": "any value"},
    "allocation": {"oneOf": [{"enum": ["fixed", "adaptive"]}, {"$ref": "#/$defs/allocation"}],
                   "description": "fixed | adaptive, or {mode, reward, min_share}"},
    "contract": {"oneOf": [{"type": "string"}, {"type": "object"}],
                 "description": "a mapping of dotted field -> type, or the path of a schema file"},
}

BACKGROUND = {
    "color": Key("color", "a plain colour"),
    "gradient": Key("list", "two or more colours, top-left to bottom-right", of="color"),
    "image": Key("path", "a still image, scaled to cover the frame"),
    "video": Key("path", "a video clip, scaled to cover the frame"),
    "loop": Key("flag", "loop a video background shorter than the scene (default true)"),
}

CHART = {
    "kind": Key("choice", "bars or donut (default bars)", choices=CHART_KINDS),
    "items": Key("expression", "the list of records to chart, e.g. bill.lines", required=True),
    "label": Key("text", "the key of each item's label", required=True),
    "value": Key("text", "the key of each item's number", required=True),
    "format": Key("choice", "how values are written (default money)", choices=NUMBER_FORMATS),
    "limit": Key("number", "at most this many bars; the rest are summed into 'Other' (1-12, default 6)"),
}

LAYER = {
    "text": Key("template", "a text layer; the text shrinks and wraps to fit its box"),
    "number": Key("template", "a number layer (e.g. '{{ bill.total }}'), written in `format`"),
    "image": Key("path", "an image layer; the path may use data, e.g. assets/{{ plan.id }}.png"),
    "chart": Key("object", "a chart layer drawn from a list in the data", of="chart"),
    "cta": Key("template", "the call-to-action button text"),
    "logo": Key("logo", "the theme's logo (true) or a logo file"),
    "box": Key("box", "where the layer sits: [x, y, w, h] as fractions of the frame", required=True),
    "portrait": Key("box", "the box on portrait devices (default: `box`)"),
    "devices": Key("mapping", "per-device text: {portrait: '...', square: '...'}; a device not named "
                   "shows the layer's own text", of="template", names=DEVICE_NAMES),
    "when": Key("expression", "show the layer only when this is true for the customer"),
    "style": Key("text", "a style of the story's theme (default: body, cta, big_number or chart)"),
    "style_from": Key("expression", "pick the style from the data; must give the name of a theme style, "
                      "e.g. \"'not_covered' if not item.covered else 'body'\""),
    "align": Key("choice", "override the style's horizontal alignment", choices=ALIGNS),
    "valign": Key("choice", "override the style's vertical alignment", choices=VALIGNS),
    "from": Key("seconds", "when the layer appears, seconds after the scene starts (default 0)"),
    "to": Key("seconds", "when the layer goes away (default: end of the scene)"),
    "animate": Key("choice", "how the layer appears (default none)", choices=ANIMATIONS),
    "animation_duration": Key("seconds", "how long the animation takes (default 0.5)"),
    "format": Key("choice", "how a number layer is written (default decimal)", choices=NUMBER_FORMATS),
}

SCENE = {
    "id": Key("text", "the scene id; must equal the file name without .yaml", required=True),
    "description": Key("text", "a note for authors; not shown"),
    "title": Key("text", "the scene's chapter name in the player; untitled scenes belong to the chapter before"),
    "duration": Key("duration", "seconds, or auto to fit the voice line (default auto)"),
    "min_duration": Key("seconds", "an auto duration is never shorter (default 2)"),
    "padding": Key("seconds", "silence after the voice line for auto durations (default 0.6)"),
    "voice_offset": Key("seconds", "the voice starts this long after the scene (default 0.3)"),
    "background": Key("background", "a colour, or one of color, gradient, image, video", required=True),
    "when": Key("expression", "skip the scene when this is false for the customer"),
    "layers": Key("list", "what is drawn on the background, bottom first", of="layer"),
    "voice": Key("template", "what the voice says during the scene"),
}

STYLE = {
    "font": Key("text", "a key of the theme's fonts", required=True),
    "size": Key("number", "largest text size as a fraction of the frame's shorter side", required=True),
    "color": Key("color", "text colour", required=True),
    "align": Key("choice", "horizontal alignment (default left)", choices=ALIGNS),
    "valign": Key("choice", "vertical alignment (default top)", choices=VALIGNS),
    "background": Key("color", "a pill behind the text (buttons, badges)"),
    "uppercase": Key("flag", "write the text in capitals"),
    "shadow": Key("flag", "a soft shadow under the text"),
    "line_spacing": Key("number", "space between lines (0.8-3, default 1.15)"),
}

THEME = {
    "id": Key("text", "the theme id; must equal the file name", required=True),
    "description": Key("text", "a note for authors"),
    "colors": Key("mapping", "colour names to '#rrggbb' values; styles may use the names", required=True,
                  of="color"),
    "fonts": Key("mapping", "font names to font files", required=True, of="path"),
    "fallback_fonts": Key("list", "fonts for characters the main font lacks", of="path"),
    "styles": Key("mapping", "style names to styles; layers pick one with `style`", required=True, of="style"),
    "chart_colors": Key("list", "colours of chart bars and slices, in order", of="color"),
    "logo": Key("path", "the logo a `logo: true` layer shows"),
}

SCENE_ENTRY = {
    "scene": Key("text", "a scene id", required=True),
    "when": Key("expression", "include the scene only when this is true"),
}

OVERRIDE = {
    "voice": Key("template", "the scene's voice line in this variant"),
    "duration": Key("duration", "the scene's duration in this variant"),
    "background": Key("background", "the scene's background in this variant"),
    "layers": Key("mapping", "new text or image path per layer index: {0: 'New headline'}", of="template"),
}

VARIANT = {
    "description": Key("text", "a note for authors"),
    "weight": Key("number", "share of customers who get this variant (default 1)"),
    "scenes": Key("list", "the scenes of this variant (default: the story's)", of="scene_entry"),
    "voice": Key("text", "the voice profile of this variant"),
    "overrides": Key("mapping", "changes per scene id", of="override"),
}

SAMPLE = {
    "data": Key("path", "a customer data file (JSON, CSV or YAML)", required=True),
    "customer": Key("text", "the customer id validate and preview use", required=True),
}

STORES = {
    "data": Key("path", "a file of stores with lat/lon", required=True),
    "location": Key("text", "the record field holding {lat, lon} (default customer.location)"),
}

ALLOCATION = {
    "mode": Key("choice", "fixed: variants by weight; adaptive: traffic shifts to the winner (Thompson sampling)",
                required=True, choices=("fixed", "adaptive")),
    "reward": Key("choice", "what a variant wins on (default cta)", choices=("cta", "completion")),
    "min_share": Key("number", "the least share of traffic each variant keeps, 0-1 (default 0.1)"),
}

STORY = {
    "id": Key("text", "the story id; must equal the file name", required=True),
    "title": Key("text", "the video's title"),
    "description": Key("text", "a note for authors"),
    "theme": Key("text", "the theme id (scenes/themes/<id>.yaml)", required=True),
    "voice": Key("text", "the voice profile id (voices/<id>.yaml)", required=True),
    "scenes": Key("list", "the scenes in order: ids or {scene, when}", required=True, of="scene_entry"),
    "locale": Key("text", "language of numbers, dates and money, e.g. en or nl (default en)"),
    "currency": Key("text", "ISO currency code (default EUR)"),
    "money_cents": Key("choice", "always: 135.00 keeps its cents; when_needed: whole amounts drop .00 "
                       "(default always)", choices=MONEY_CENTS),
    "music": Key("path", "background music under the voice"),
    "music_volume": Key("number", "music loudness 0-1 (default 0.22)"),
    "cta_url": Key("template", "where the call-to-action goes"),
    "variants": Key("mapping", "A/B variants by name", of="variant"),
    "defaults": Key("mapping", "values for empty or missing fields, by dotted name", of="any"),
    "sample": Key("object", "the sample customer validate and preview use", of="sample"),
    "stores": Key("object", "nearest-store lookup for the click", of="stores"),
    "data": Key("path", "the story's default customer data file"),
    "allocation": Key("allocation", "how new viewers are split over the variants: fixed (by weight) or adaptive",
                      of="allocation"),
    "contract": Key("contract", "the data contract: field -> type, or a schema file holding one "
                    "(see the README's data contracts)"),
}

# ---- decisions (scenes/decisions/*.yaml): the next-best-action engine's choices ----------------

CONTACT = {
    "max": Key("number", "at most this many contacts per `per_days` for one customer (1-1000)"),
    "per_days": Key("number", "the window `max` counts in, in days (default 30)"),
    "suppress_after_cta": Key("flag", "never again once the customer clicked this action's CTA"),
    "cooldown_days": Key("number", "days to wait after a contact before the next (default 0)"),
}

ACTION = {
    "story": Key("text", "the story this action shows", required=True),
    "variant": Key("text", "one variant of the story (default: the story's own choice)"),
    "value": Key("any", "what a success is worth: a number, or a template over the record "
                 "('{{ (offer.price - plan.price) * 12 }}'); default 1"),
    "when": Key("expression", "eligibility: the action is offered only when true"),
    "lever": Key("number", "the business weight multiplied into the score (default 1)"),
    "contact": Key("object", "how often this action may reach one customer", of="contact"),
    "description": Key("text", "a note for authors"),
}

FEATURE = {
    "expression": Key("expression", "what the learner sees of the customer", required=True),
    "kind": Key("choice", "category (default) or number", choices=("category", "number")),
}

REWARD = {
    "cta": Key("number", "reward of a CTA click (default 1)"),
    "completion": Key("number", "reward of a completed view without a CTA (default 0.3)"),
}

EXPLORATION = {
    "epsilon": Key("number", "share of decisions spread over the eligible actions, 0-1 (default 0.1)"),
    "floor": Key("number", "the least probability any eligible action keeps, 0-1 (default 0.02)"),
}

DECISION_SAMPLE = {
    "customer": Key("text", "the customer validate evaluates every condition and value for (in every "
                    "action's data file)", required=True),
}

DECISION = {
    "id": Key("text", "the decision id; must equal the file name", required=True),
    "title": Key("text", "what the decision is for"),
    "description": Key("text", "a note for authors"),
    "data": Key("path", "the customer data file of the features and of the actions whose stories read it; "
                "an action whose story reads another file is judged on the same customer id there"),
    "sample": Key("object", "the sample customer validate uses", of="decision_sample"),
    "features": Key("mapping", "name -> expression (or {expression, kind}): the context the learner "
                    "sees", of="any"),
    "reward": Key("object", "what an outcome is worth", of="reward"),
    "outcome_window_hours": Key("number", "hours after which a view without a CTA is final (default 48)"),
    "exploration": Key("object", "how much the engine explores", of="exploration"),
    "actions": Key("mapping", "name -> action: the videos the engine chooses between", required=True,
                   of="action"),
}

VOICE = {
    "id": Key("text", "the voice id; must equal the file name", required=True),
    "description": Key("text", "a note for authors"),
    "engine": Key("choice", "the speech engine", required=True, choices=("piper", "gtts", "espeak")),
    "voice": Key("text", "the engine's voice: piper model, gtts tld or espeak voice", required=True),
    "lang": Key("text", "language, e.g. en or nl", required=True),
    "speed": Key("number", "speaking speed 0.5-2 (default 1)"),
    "fallback": Key("text", "the voice profile used when this engine cannot run here"),
}

# Every table by name, for `of=` references, the schema and the docs.
TABLES: dict[str, dict[str, Key]] = {
    "scene": SCENE, "layer": LAYER, "chart": CHART, "background": BACKGROUND, "theme": THEME,
    "style": STYLE, "story": STORY, "scene_entry": SCENE_ENTRY, "variant": VARIANT, "override": OVERRIDE,
    "sample": SAMPLE, "stores": STORES, "voice": VOICE, "allocation": ALLOCATION,
    "decision": DECISION, "action": ACTION, "contact": CONTACT, "feature": FEATURE, "reward": REWARD,
    "exploration": EXPLORATION, "decision_sample": DECISION_SAMPLE,
}


def allowed(table: dict[str, Key]) -> set[str]:
    return set(table)


def required(table: dict[str, Key]) -> set[str]:
    return {name for name, key in table.items() if key.required}


__all__ = ["LAYER_KINDS", "TABLES", "TYPES", "Key", "allowed", "required"]
