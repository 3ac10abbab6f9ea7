"""The JSON Schema and docs/authoring.md cannot drift from what the loader accepts."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from smartvideo.cli import main
from smartvideo.commands.schema import authoring_doc, schema_files
from smartvideo.render.authoring_reference import json_schema
from smartvideo.render.scene_keys import TABLES
from smartvideo.render.scene_model import ANIMATIONS, LAYER_KINDS, NUMBER_FORMATS
from smartvideo.render.templating import FILTERS, environment

ROOT = Path(__file__).resolve().parent.parent


def test_committed_schemas_are_the_generated_ones():
    for name, text in schema_files().items():
        assert (ROOT / "schemas" / name).read_text() == text, f"run `smartvideo schema` ({name} is stale)"


def test_docs_reference_is_the_generated_one():
    doc = (ROOT / "docs" / "authoring.md").read_text()
    assert doc == authoring_doc(doc), "run `smartvideo schema --docs docs/authoring.md`"


def test_docs_name_every_option():
    doc = (ROOT / "docs" / "authoring.md").read_text()
    for word in (*LAYER_KINDS, *ANIMATIONS, *NUMBER_FORMATS, *FILTERS):
        assert f"`{word}`" in doc
    for table, keys in TABLES.items():
        assert f"### {table}" in doc
        for key in keys:
            assert f"| `{key}` |" in doc
    from jinja2.filters import FILTERS as JINJA_FILTERS

    assert set(FILTERS) == set(environment().filters) - set(JINJA_FILTERS)  # every filter of ours is documented
    readme = (ROOT / "README.md").read_text()
    assert "# yaml-language-server: $schema=../schemas/scene.schema.json" in readme
    assert "docs/authoring.md" in readme


@pytest.mark.parametrize(("document", "folder"), [
    ("scene", "scenes"), ("story", "scenes/stories"), ("theme", "scenes/themes"), ("voice", "voices"),
    ("decision", "scenes/decisions")])
def test_shipped_content_follows_the_schema(document, folder):
    validator = jsonschema.Draft202012Validator(json_schema(document))
    files = sorted((ROOT / folder).glob("*.yaml"))
    assert files
    for path in files:
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
        assert errors == [], f"{path.name}: {errors}"


def test_schema_rejects_what_the_loader_rejects():
    validator = jsonschema.Draft202012Validator(json_schema("scene"))
    scene = {"id": "x", "background": "#000000",
             "layers": [{"text": "hi", "box": [0, 0, 1, 1], "animat": "fade"}]}
    assert any("animat" in e.message for e in validator.iter_errors(scene))
    scene["layers"] = [{"text": "hi", "image": "a.png", "box": [0, 0, 1, 1]}]
    assert list(validator.iter_errors(scene))


def test_schema_command_writes_the_files(tmp_path, capsys):
    assert main(["schema", "--out", str(tmp_path)]) == 0
    written = json.loads((tmp_path / "scene.schema.json").read_text())
    assert "style_from" in written["$defs"]["layer"]["properties"]
    assert "when" in written["$defs"]["layer"]["properties"]


def test_the_decision_schema_rejects_an_unknown_action_key():
    validator = jsonschema.Draft202012Validator(json_schema("decision"))
    decision = {"id": "x", "actions": {"bill": {"story": "first_bill", "levr": 2}}}
    assert [e.message for e in validator.iter_errors(decision)]
    del decision["actions"]["bill"]["levr"]
    assert [e.message for e in validator.iter_errors(decision)] == []
