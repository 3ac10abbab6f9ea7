"""Scene authors: every mistake in one run, messages that say how to fix, the expressive means."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_validation import copy_content, edit, messages

from smartvideo.render.devices import PROFILES
from smartvideo.render.planner import PlanInputs, plan_video
from smartvideo.render.scene_loader import load_library
from smartvideo.render.validation import check_data_file


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_content(tmp_path)


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "smartvideo.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_five_mistakes_in_one_file_give_five_messages_in_line_order(root):
    scene = root / "scenes" / "bill_intro.yaml"
    edit(scene, "    animate: fade\n", "    animat: fade\n")  # unknown key
    edit(scene, "    from: 0.2\n", "    from: soon\n")  # wrong type
    edit(scene, "[0.06, 0.36, 0.62, 0.26]", "[0.56, 0.36, 0.62, 0.26]")  # overflows the right edge
    edit(scene, "    animate: fade\n    from: 0.8", "    animate: fade_in\n    from: 0.8")  # unknown choice
    edit(scene, "Here is your bill", "Here is {{ customer.first_name | upper( }} bill")  # syntax error
    found = [m for m in messages(root) if m.startswith("scenes/bill_intro.yaml:")]
    assert len(found) == 5, found
    lines = [int(m.split(":")[1]) for m in found]
    assert lines == sorted(lines)
    assert "did you mean 'animate'" in found[0]
    assert "goes past the right edge by 0.18" in found[1] and "make w at most 0.44" in found[1]
    assert "'from' must be a number" in found[2]
    assert "'animate' must be one of none, fade" in found[3] and "did you mean 'fade'" in found[3]
    assert "template syntax error" in found[4]


def test_mistakes_across_files_are_all_reported(root):
    edit(root / "scenes" / "bill_intro.yaml", "    animate: fade\n", "    animat: fade\n")
    edit(root / "scenes" / "outro_cta.yaml", "id: outro_cta", "id: outro_cta\nvoise: hi")
    edit(root / "scenes" / "themes" / "nova.yaml", "color: mist, shadow", "color: mits, shadow")
    found = messages(root)
    assert any(m.startswith("scenes/bill_intro.yaml") for m in found)
    assert any(m.startswith("scenes/outro_cta.yaml") and "did you mean 'voice'" in m for m in found)
    [colour] = [m for m in found if m.startswith("scenes/themes/nova.yaml")]
    assert "did you mean 'mist'" in colour and "theme colours: navy, blue" in colour


def test_indentation_mistake_says_check_the_indentation(root):
    scene = root / "scenes" / "bill_intro.yaml"
    edit(scene, "    style: headline\n", "      style: headline\n")
    [msg] = messages(root)
    assert msg.startswith("scenes/bill_intro.yaml:") and "check the indentation" in msg


def test_missing_field_suggests_from_the_sample_record(root):
    edit(root / "scenes" / "bill_total.yaml", "Hi {{ customer.first_name }}, this", "Hi {{ customer.firstname }}, this")
    found = messages(root)
    assert found and all("customer.firstname" in m for m in found)
    # first_bill declares its fields in a data contract: the hint comes from there (else from the record)
    assert "did you mean 'customer.first_name'" in found[0] or "did you mean 'first_name'" in found[0]
    assert "customer has: " in found[0] and "first_name" in found[0]


def test_filter_typo_suggests_the_filter(root):
    scene = root / "scenes" / "bill_total.yaml"
    edit(scene, "Hi {{ customer.first_name }}, this", "Hi {{ customer.first_name | uper }}, this")
    [msg] = messages(root)
    assert "no filter named 'uper' (did you mean 'upper'?)" in msg
    assert "SmartVideo filters: money, money_words, date, number, plural" in msg


def test_unknown_style_and_theme_get_did_you_mean(root):
    edit(root / "scenes" / "bill_intro.yaml", "style: headline", "style: headlin")
    edit(root / "scenes" / "stories" / "welcome.yaml", "theme: nova", "theme: novva")
    found = messages(root)
    assert any("style 'headlin' (did you mean 'headline'?)" in m for m in found)
    assert any("unknown theme 'novva' (did you mean 'nova'?)" in m for m in found)


def test_validate_outside_a_content_folder_says_so(tmp_path):
    result = cli("validate", cwd=tmp_path)
    assert "is not a content folder" in result.stderr and "--root" in result.stderr
    result = cli("preview", "--story", "car_renewal", cwd=tmp_path)
    assert result.returncode == 1
    assert "unknown story 'car_renewal'" in result.stderr and "--root" in result.stderr


def test_validate_data_checks_every_record(root):
    records = json.loads((root / "data" / "customers.json").read_text())
    records[2]["customer"]["first_name"] = None  # an empty cell, not the sample customer
    (root / "data" / "customers.json").write_text(json.dumps(records))
    assert messages(root) == []  # the sample customer is fine
    lib = load_library(root)
    found = check_data_file(lib, root / "data" / "customers.json", "first_bill")
    assert found and all(f"record {records[2]['id']}" in e.message for e in found)
    assert any("customer.first_name" in e.message for e in found)
    result = cli("--root", str(root), "validate", "--data", str(root / "data" / "customers.json"),
                 "--story", "first_bill", cwd=root)
    assert result.returncode == 1 and f"record {records[2]['id']}" in result.stdout


def _plan(root: Path, device: str = "landscape", customer: int = 0):
    lib = load_library(root)
    record = json.loads((root / "data" / "customers.json").read_text())[customer]
    return plan_video(lib, PlanInputs(story_id="first_bill", record=record, device=PROFILES[device], variant="A"),
                      lambda text, voice: 3.0, lambda path: "")


def _texts(plan, scene_id: str) -> list[str]:
    return [layer.text for layer in next(s for s in plan.scenes if s.id == scene_id).layers]


def test_layer_when_and_per_device_text(root):
    edit(root / "scenes" / "bill_intro.yaml", '  - text: "One minute. Just your numbers."\n',
         '  - text: "One minute. Just your numbers."\n    devices: {portrait: "One minute."}\n'
         '    when: "bill.total > 100"\n')
    assert messages(root) == []
    assert "One minute. Just your numbers." in _texts(_plan(root), "bill_intro")
    assert "One minute." in _texts(_plan(root, "portrait"), "bill_intro")
    small = next(i for i, r in enumerate(json.loads((root / "data" / "customers.json").read_text()))
                 if r["bill"]["total"] <= 100)
    assert not any("One minute" in t for t in _texts(_plan(root, customer=small), "bill_intro"))


def test_style_from_data_and_unknown_style_is_an_error(root):
    edit(root / "scenes" / "bill_total.yaml", "    style: delta_up\n",
         "    style_from: \"'delta_up' if bill.total > 100 else 'delta_down'\"\n")
    assert messages(root) == []
    layer = next(s for s in _plan(root).scenes if s.id == "bill_total").layers[2]
    theme = load_library(root).themes["nova"]
    assert layer.style is not None and layer.style.color == theme.color(theme.styles["delta_up"].color)
    edit(root / "scenes" / "bill_total.yaml", "'delta_up' if", "'delta_upp' if")
    [msg] = messages(root)
    assert "gave 'delta_upp', which is not a style of theme 'nova' (did you mean 'delta_up'?)" in msg


def test_money_without_cents_for_whole_amounts(root):
    records = json.loads((root / "data" / "customers.json").read_text())
    records[0]["bill"]["total"] = 135
    (root / "data" / "customers.json").write_text(json.dumps(records))
    assert "€135.00" in _texts(_plan(root), "bill_total")
    story = root / "scenes" / "stories" / "first_bill.yaml"
    edit(story, "currency: EUR\n", "currency: EUR\nmoney_cents: when_needed\n")
    assert "€135" in _texts(_plan(root), "bill_total")
    edit(root / "scenes" / "stories" / "first_bill.yaml", "money_cents: when_needed", "money_cents: sometimes")
    [msg] = messages(root)
    assert "'money_cents' must be one of always, when_needed" in msg


def test_every_data_problem_of_a_record_is_reported(root):
    scene = root / "scenes" / "bill_total.yaml"
    edit(scene, "Hi {{ customer.first_name }}, this", "Hi {{ customer.firstname }}, this")
    edit(scene, "{{ bill.reason_short }}", "{{ bill.reason_shrt }}")
    found = messages(root)
    assert any("customer.firstname" in m for m in found) and any("bill.reason_shrt" in m for m in found)
    assert any("did you mean 'bill.reason_short'" in m or "did you mean 'reason_short'" in m for m in found)


def test_unknown_locale_and_currency_are_file_line_messages(root):
    story = root / "scenes" / "stories" / "first_bill.yaml"
    edit(story, "locale: en\n", "locale: xx_YY\n")
    edit(story, "currency: EUR\n", "currency: EUX\n")
    found = messages(root)
    assert any(m.startswith("scenes/stories/first_bill.yaml:") and "unknown locale 'xx_YY'" in m for m in found)
    assert any("unknown currency 'EUX'" in m and "ISO code like EUR" in m for m in found)
