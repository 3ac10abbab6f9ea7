"""`smartvideo validate`: every mistake reported as file:line: message, exit 1 when any."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from smartvideo.render.validation import validate_root

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A writable copy of the shipped content (assets linked, not copied)."""
    for name in ("scenes", "templates", "voices", "data"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, tmp_path / name)
    (tmp_path / "assets").symlink_to(ROOT / "assets")
    return tmp_path


def messages(root: Path) -> list[str]:
    return [e.location_message().replace(str(root) + "/", "") for e in validate_root(root)]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_shipped_content_is_valid():
    assert validate_root(ROOT) == []


def test_unknown_key_with_suggestion(root):
    scene = root / "scenes" / "bill_intro.yaml"
    edit(scene, "    animate: fade\n", "    animat: fade\n")
    [msg] = messages(root)
    assert msg.startswith(f"scenes/bill_intro.yaml:{line_of(scene, 'animat:')}: unknown key 'animat'")
    assert "did you mean 'animate'" in msg


def test_wrong_type(root):
    scene = root / "scenes" / "bill_intro.yaml"
    edit(scene, "    from: 0.2\n", "    from: soon\n")
    [msg] = messages(root)
    assert msg == f"scenes/bill_intro.yaml:{line_of(scene, 'from: soon')}: 'from' must be a number, got 'soon'"


def test_missing_asset(root):
    scene = root / "scenes" / "bill_tips.yaml"
    edit(scene, "assets/images/roaming.png", "assets/images/nope.png")
    [msg] = messages(root)
    assert msg.startswith(f"scenes/bill_tips.yaml:{line_of(scene, 'nope.png')}: missing asset 'assets/images/nope.png'")


def test_jinja_syntax_error_points_at_the_text(root):
    scene = root / "scenes" / "bill_total.yaml"
    edit(scene, "{{ bill.reason_short }}", "{{ bill.reason_short }")
    [msg] = messages(root)
    assert msg.startswith(f"scenes/bill_total.yaml:{line_of(scene, 'bill.reason_short }')}: template syntax error")


def test_field_missing_from_the_sample_data(root):
    scene = root / "scenes" / "bill_breakdown.yaml"
    edit(scene, "Where your {{ bill.total | money }} goes", "Where your {{ bill.grand_total | money }} goes")
    msgs = messages(root)
    assert msgs, "a field the sample lacks must be reported"
    assert all(m.startswith(f"scenes/bill_breakdown.yaml:{line_of(scene, 'grand_total')}:") for m in msgs)
    assert "'bill.grand_total' is not declared in the data contract of story 'first_bill'" in msgs[0]


def test_unknown_scene_in_story(root):
    story = root / "scenes" / "stories" / "welcome.yaml"
    edit(story, "  - welcome_app\n", "  - welcome_ap\n")
    [msg] = messages(root)
    assert msg.startswith(f"scenes/stories/welcome.yaml:{line_of(story, 'welcome_ap')}: unknown scene 'welcome_ap'")


def test_yaml_syntax_error(root):
    (root / "scenes" / "broken.yaml").write_text("id: broken\nbackground: [unclosed\n")
    [msg] = messages(root)
    assert msg.startswith("scenes/broken.yaml:") and "YAML syntax error" in msg


def test_several_errors_are_reported_together(root):
    edit(root / "scenes" / "bill_intro.yaml", "    animate: fade\n", "    animat: fade\n")
    edit(root / "scenes" / "bill_tips.yaml", "assets/images/roaming.png", "assets/images/nope.png")
    assert len(messages(root)) == 2


def test_cli_exit_codes_and_output(root):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ok = subprocess.run([sys.executable, "-m", "smartvideo.cli", "validate", str(root)], capture_output=True,
                        text=True, cwd=root, env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    edit(root / "scenes" / "bill_intro.yaml", "    animate: fade\n", "    animat: fade\n")
    bad = subprocess.run([sys.executable, "-m", "smartvideo.cli", "validate"], capture_output=True, text=True,
                         cwd=root, env=env)
    assert bad.returncode == 1
    assert bad.stdout.startswith("scenes/bill_intro.yaml:")
    assert "Traceback" not in bad.stderr


def test_template_reference_missing_from_the_contract_is_reported_at_the_template(root):
    story = root / "scenes" / "stories" / "first_bill.yaml"
    edit(story, "  bill.due_date: date\n", "")
    scene = root / "scenes" / "bill_total.yaml"
    assert messages(root) == [
        f"scenes/bill_total.yaml:{line_of(scene, 'Due on')}: 'bill.due_date' is not declared in the data "
        f"contract of story 'first_bill' (first_bill.yaml:{story.read_text().splitlines().index('contract:') + 1})"]


def test_sample_record_that_breaks_the_contract_is_reported(root):
    edit(root / "data" / "customers.json", '"total": 135.2,', '"total": "NaN",')
    found = messages(root)
    assert len(found) == 1
    assert found[0].startswith("scenes/stories/first_bill.yaml:")
    assert found[0].endswith("with sample customer C1001: customer C1001: bill.total: expected money, got 'NaN'")


def test_contract_in_a_schema_file(root):
    story = root / "scenes" / "stories" / "welcome.yaml"
    text = story.read_text()
    start, end = text.index("contract:\n"), text.index("scenes:\n")
    (root / "contracts").mkdir()
    (root / "contracts" / "welcome.yaml").write_text(text[start:end].replace("contract:\n", "fields:\n"))
    story.write_text(text[:start] + "contract: contracts/welcome.yaml\n" + text[end:])
    assert messages(root) == []
    edit(root / "contracts" / "welcome.yaml", "  plan.start_date: date\n", "  plan.start_date: datum\n")
    assert messages(root) == ["contracts/welcome.yaml:9: contract field 'plan.start_date': type must be one "
                              "of text, name, money, number, integer, percent, date, phone, email, boolean, list, "
                              "got 'datum'"]
