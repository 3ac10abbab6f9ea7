"""`smartvideo schema`: JSON Schema for scene, story, theme and voice files, and the authoring reference."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from smartvideo.errors import SmartVideoError

# docs/authoring.md: everything after this line is made by reference_markdown().
REFERENCE_MARKER = "<!-- reference: made by `smartvideo schema --docs`; edit above this line only -->"


def schema_files() -> dict[str, str]:
    """File name -> JSON text, for every kind of content file."""
    from smartvideo.render.authoring_reference import DOCUMENTS, json_schema

    return {f"{doc}.schema.json": json.dumps(json_schema(doc), indent=2) + "\n" for doc in DOCUMENTS}


def authoring_doc(current: str) -> str:
    """docs/authoring.md with its reference part made anew (the hand-written part kept)."""
    from smartvideo.render.authoring_reference import reference_markdown

    if REFERENCE_MARKER not in current:
        raise SmartVideoError(f"the docs file has no reference marker line: {REFERENCE_MARKER}")
    return current.split(REFERENCE_MARKER)[0] + REFERENCE_MARKER + "\n\n" + reference_markdown()


def cmd_schema(args: argparse.Namespace) -> int:
    if args.docs:
        path = Path(args.docs)
        path.write_text(authoring_doc(path.read_text(encoding="utf-8")), encoding="utf-8")
        print(path)
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in schema_files().items():
        (out / name).write_text(text, encoding="utf-8")
        print(out / name)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    schema = subparsers.add_parser("schema", help="write JSON Schema for scene, story, theme and voice files")
    schema.add_argument("--out", default="schemas", help="folder for the *.schema.json files (default: %(default)s)")
    schema.add_argument("--docs", metavar="FILE", help="instead, rewrite the reference part of this docs file "
                        "(docs/authoring.md)")
    schema.set_defaults(func=cmd_schema)
