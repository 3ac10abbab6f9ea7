"""Decisions in YAML: loaded into frozen data, every mistake reported at file:line."""

from __future__ import annotations

from pathlib import Path

import pytest
from nba_support import ROOT

from smartvideo.cli import main
from smartvideo.errors import SceneError
from smartvideo.nba.decision_loader import collect_decisions, parse_decision
from smartvideo.render.scene_loader import Library

GOOD = """\
id: pick
data: data/customers.json
sample: {customer: C1001}
actions:
  bill:
    story: first_bill
    when: "bill.total > 0"
  upgrade:
    story: upgrade_offer
    variant: full
    value: "{{ offer.price - plan.price }}"
"""


def _root(tmp_path: Path, text: str, name: str = "pick") -> Path:
    folder = tmp_path / "scenes" / "decisions"
    folder.mkdir(parents=True)
    (tmp_path / "data").symlink_to(ROOT / "data")
    (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def _errors(tmp_path: Path, library: Library, text: str) -> list[str]:
    root = _root(tmp_path, text)
    lib = Library(root=root, stories=library.stories)
    return [e.location_message().replace(str(root) + "/", "") for e in collect_decisions(lib)[1]]


def test_the_shipped_decision_loads_with_its_actions(library: Library) -> None:
    decisions, errors = collect_decisions(library)
    assert errors == []
    decision = decisions["next_video"]
    assert [a.story for a in decision.actions] == ["first_bill", "upgrade_offer", "welcome", "policy_renewal"]
    assert decision.action("upgrade").variant == "full"
    assert decision.action("upgrade").contact.suppress_after_cta


def test_a_good_decision_has_no_errors(tmp_path: Path, library: Library) -> None:
    assert _errors(tmp_path, library, GOOD) == []


def test_an_unknown_story_is_reported_at_the_action(tmp_path: Path, library: Library) -> None:
    errors = _errors(tmp_path, library, GOOD.replace("story: first_bill", "story: first_bil"))
    assert errors[0].startswith("scenes/decisions/pick.yaml:6: action 'bill' uses unknown story 'first_bil'")


def test_an_unknown_variant_is_reported(tmp_path: Path, library: Library) -> None:
    errors = _errors(tmp_path, library, GOOD.replace("variant: full", "variant: long"))
    assert "story 'upgrade_offer' has no variant 'long'" in errors[0]


def test_a_missing_field_for_the_sample_customer_names_the_line(tmp_path: Path, library: Library) -> None:
    errors = _errors(tmp_path, library, GOOD.replace("bill.total > 0", "bill.totaal > 0"))
    assert len(errors) == 1
    assert errors[0].startswith("scenes/decisions/pick.yaml:7: with the sample customer: missing field 'bill.totaal' "
                                "(did you mean 'total'?)")


POLICY = GOOD + """\
  policy:
    story: policy_renewal
    value: "{{ policy.premium * 12 }}"
    when: "policy.deductible > 0"
"""


def test_an_action_on_another_data_file_is_checked_on_the_samples_record_there(
    tmp_path: Path, library: Library
) -> None:
    assert _errors(tmp_path, library, POLICY) == []  # C1001's policy record has premium and deductible
    errors = _errors(tmp_path / "typo", library, POLICY.replace("policy.deductible", "policy.deductable"))
    assert errors == ["scenes/decisions/pick.yaml:15: with the sample customer: missing field 'policy.deductable' "
                      "(did you mean 'deductible'?); policy has: change_reason, cover, deductible, number, premium, "
                      "previous_premium, product, renewal_date"]


def test_a_sample_customer_missing_from_an_actions_data_file_is_an_error(tmp_path: Path, library: Library) -> None:
    errors = _errors(tmp_path, library, POLICY.replace("customer: C1001", "customer: C1002"))
    assert errors == ["scenes/decisions/pick.yaml:13: action 'policy' cannot be checked with the sample customer: "
                      "no customer 'C1002' in policies.json (its story 'policy_renewal' finds its customers there; "
                      "pick a sample customer who is in every file)"]


def test_an_unknown_key_gets_a_did_you_mean(tmp_path: Path) -> None:
    root = _root(tmp_path, GOOD.replace("    when:", "    wehn:"))
    with pytest.raises(SceneError) as caught:
        parse_decision(root, root / "scenes" / "decisions" / "pick.yaml")
    assert caught.value.line == 7
    assert "did you mean 'when'" in caught.value.message


def test_a_syntax_error_in_a_condition_names_its_line(tmp_path: Path) -> None:
    root = _root(tmp_path, GOOD.replace('"bill.total > 0"', '"bill.total >"'))
    with pytest.raises(SceneError) as caught:
        parse_decision(root, root / "scenes" / "decisions" / "pick.yaml")
    assert caught.value.line == 7


def test_validate_checks_decisions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    for name in ("scenes", "voices", "data", "templates"):
        shutil.copytree(ROOT / name, tmp_path / name, symlinks=True)
    (tmp_path / "assets").symlink_to(ROOT / "assets")
    path = tmp_path / "scenes" / "decisions" / "next_video.yaml"
    path.write_text(path.read_text().replace("story: welcome", "story: welcom"), encoding="utf-8")
    assert main(["validate", str(tmp_path)]) == 1
    assert "next_video.yaml:" in capsys.readouterr().out
