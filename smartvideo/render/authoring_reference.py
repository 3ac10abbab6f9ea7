"""JSON Schema and the authoring reference, both made from the loader's own key tables.

`smartvideo schema` writes the schemas (editors autocomplete and explain keys with them) and
docs/authoring.md's reference part; a test fails when the committed files differ from what
these functions make, so neither can drift from what the loader accepts.
"""

from __future__ import annotations

from typing import Any

from smartvideo.render.scene_keys import DEVICE_NAMES, TABLES, TYPES, Key
from smartvideo.render.scene_model import ANIMATIONS, LAYER_KINDS, MONEY_CENTS, NUMBER_FORMATS
from smartvideo.render.templating import FILTERS

SCHEMA_URL = "https://json-schema.org/draft/2020-12/schema"
# The file kinds a schema is written for, and the table at each one's top.
DOCUMENTS = {"scene": "scene", "story": "story", "theme": "theme", "voice": "voice", "decision": "decision"}
_SHARED = ("background", "layer", "chart", "style", "scene_entry", "variant", "override", "sample", "stores",
           "allocation", "action", "contact", "reward", "exploration", "decision_sample")


def _item(of: str | None) -> dict[str, Any]:
    if of is None:
        return {}
    if of == "scene_entry":  # a scene id, or {scene, when}
        return {"oneOf": [{"type": "string"}, {"$ref": "#/$defs/scene_entry"}]}
    if of in TABLES:
        return {"$ref": f"#/$defs/{of}"}
    return dict(TYPES[of])


def key_schema(key: Key) -> dict[str, Any]:
    """The JSON Schema of one key's value."""
    if key.type == "object":
        schema = _item(key.of)
    elif key.type == "mapping":
        schema = {"type": "object", "additionalProperties": _item(key.of) or True}
    elif key.type == "list":
        schema = {"type": "array", "items": _item(key.of) or True}
    else:
        schema = dict(TYPES[key.type])
    if key.choices:
        schema = {"enum": list(key.choices)}
    if key.names:
        schema["propertyNames"] = {"enum": list(key.names)}
    return {**schema, "description": key.doc}


def table_schema(name: str) -> dict[str, Any]:
    table = TABLES[name]
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {key: key_schema(spec) for key, spec in table.items()},
        "additionalProperties": False,
    }
    needed = sorted(k for k, spec in table.items() if spec.required)
    if needed:
        schema["required"] = needed
    if name == "layer":  # exactly one kind per layer
        schema["oneOf"] = [{"required": [kind]} for kind in LAYER_KINDS]
    return schema


def json_schema(document: str) -> dict[str, Any]:
    """The schema of one kind of file: scene, story, theme, voice or decision."""
    top = table_schema(DOCUMENTS[document])
    return {
        "$schema": SCHEMA_URL,
        "$id": f"smartvideo-{document}.schema.json",
        "title": f"SmartVideo {document}",
        **top,
        "$defs": {name: table_schema(name) for name in _SHARED},
    }


def _type_words(key: Key) -> str:
    if key.choices:
        return " \\| ".join(f"`{c}`" for c in key.choices)
    if key.type == "object":
        return f"[{key.of}](#{key.of})"
    if key.type in ("mapping", "list"):
        of = key.of or "any"
        target = f"[{of}](#{of})" if of in TABLES else of
        return f"{key.type} of {target}"
    return key.type


def reference_markdown() -> str:
    """The reference part of docs/authoring.md: every key of every file, every option."""
    out = ["## Reference", "",
           "Made by `smartvideo schema --docs` from the loader's definitions; a test fails when it differs.", ""]
    out += ["### Option lists", "",
            f"- **Layer types** (one per layer): {', '.join(f'`{k}`' for k in LAYER_KINDS)}",
            f"- **Animations** (`animate:`): {', '.join(f'`{a}`' for a in ANIMATIONS)}",
            f"- **Number formats** (`format:`): {', '.join(f'`{f}`' for f in NUMBER_FORMATS)}",
            f"- **Money cents** (story `money_cents:`): {', '.join(f'`{m}`' for m in MONEY_CENTS)}",
            f"- **Devices** (layer `devices:`): {', '.join(f'`{d}`' for d in DEVICE_NAMES)}", "",
            "### Filters", "", "SmartVideo's own filters (Jinja2's built-in filters work too):", ""]
    out += [f"- `{name}`: {doc}" for name, doc in FILTERS.items()]
    out.append("")
    for name, table in TABLES.items():
        out += [f"### {name}", "", "| key | value | required | meaning |", "|---|---|---|---|"]
        for key, spec in table.items():
            out.append(f"| `{key}` | {_type_words(spec)} | {'yes' if spec.required else ''} | {spec.doc} |")
        out.append("")
    out += ["### Value types", "", "| type | written as |", "|---|---|"]
    for name, schema in TYPES.items():
        words = str(schema.get("description") or schema.get("type") or "see the schema")
        out.append(f"| {name} | {words} |")
    return "\n".join(out) + "\n"
