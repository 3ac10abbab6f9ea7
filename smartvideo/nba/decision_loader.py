"""Load scenes/decisions/*.yaml into DecisionSpecs, every mistake a SceneError at file:line.

The same readers and error style as scenes and stories (`render.scene_loader`); references to
stories and variants are checked against the loaded library, and every template is checked
against the decision's sample customer, as `validate` does for stories.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from smartvideo.errors import SceneError, SmartVideoError
from smartvideo.nba.decision_model import ActionSpec, ContactPolicy, DecisionSpec, FeatureSpec
from smartvideo.render import scene_loader as sl
from smartvideo.render.scene_keys import (
    ACTION,
    CONTACT,
    DECISION,
    DECISION_SAMPLE,
    EXPLORATION,
    FEATURE,
    REWARD,
    Key,
    allowed,
    required,
)
from smartvideo.render.scene_loader import Library
from smartvideo.render.templating import Where, check_syntax
from smartvideo.yamlfile import LineDict, check_keys, load_mapping

DECISIONS_DIR = Path("scenes") / "decisions"



def _keys(data: LineDict, table: dict[str, Key], what: str) -> None:
    check_keys(data, allowed(table), required(table), what)


def _contact(data: LineDict) -> ContactPolicy:
    _keys(data, CONTACT, "contact policy")
    maximum = sl._number(data, "max", None, 1, 1000)
    return ContactPolicy(
        max_contacts=int(maximum) if maximum is not None else None,
        per_days=sl._number(data, "per_days", 30.0, 0.01, 3650.0) or 30.0,
        suppress_after_cta=sl._flag(data, "suppress_after_cta", False),
        cooldown_days=sl._number(data, "cooldown_days", 0.0, 0.0, 3650.0) or 0.0,
    )


def _action(name: str, data: LineDict) -> ActionSpec:
    _keys(data, ACTION, f"action '{name}'")
    value: float | str = 1.0
    if "value" in data:
        raw = data["value"]
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise sl._err(data, "value", f"'value' must be a number or a template, got {raw!r}")
        if isinstance(raw, str):
            check_syntax(raw, sl._where(data, "value"))
            value = raw
        else:
            value = float(sl._number(data, "value", 1.0, 0.0, 1e9) or 0.0)
    return ActionSpec(
        name=name,
        story=sl._text(data, "story", required=True) or "",
        where=Where(data.file, data.line),
        variant=sl._text(data, "variant"),
        value=value,
        value_where=sl._where(data, "value") if "value" in data else None,
        when=sl._template(data, "when", expression=True),
        when_where=sl._where(data, "when") if "when" in data else None,
        lever=sl._number(data, "lever", 1.0, 0.0, 1e6) if "lever" in data else 1.0,  # type: ignore[arg-type]
        contact=_contact(sl._mapping(data, "contact")) if "contact" in data else ContactPolicy(),
    )


def _features(data: LineDict) -> tuple[FeatureSpec, ...]:
    features = []
    for name, value, line in ((k, data[k], data.line_of(k)) for k in data):
        where = Where(data.file, line)
        if isinstance(value, str):
            expression, kind = value, "category"
        elif isinstance(value, LineDict):
            _keys(value, FEATURE, f"feature '{name}'")
            expression = sl._text(value, "expression", required=True) or ""
            kind = sl._choice(value, "kind", ("category", "number"), "category")
        else:
            raise SceneError(f"feature '{name}' is an expression or {{expression, kind}}", data.file, line)
        check_syntax(expression, where, expression=True)
        features.append(FeatureSpec(name=name, expression=expression, where=where, kind=kind))
    return tuple(features)


def parse_decision(root: Path, path: Path) -> DecisionSpec:
    data = load_mapping(path)
    _keys(data, DECISION, "decision")
    decision_id = sl._text(data, "id", required=True) or ""
    if decision_id != path.stem:
        raise sl._err(data, "id", f"decision id '{decision_id}' must match the file name '{path.stem}'")
    actions_data = sl._mapping(data, "actions")
    actions = []
    for name in actions_data:
        item = actions_data[name]
        if not isinstance(item, LineDict):
            raise sl._err(actions_data, name, f"action '{name}' must be a mapping with at least 'story'")
        actions.append(_action(str(name), item))
    if not actions:
        raise sl._err(data, "actions", "a decision needs at least one action")
    reward = sl._mapping(data, "reward") if "reward" in data else LineDict()
    if "reward" in data:
        _keys(reward, REWARD, "reward")
    exploration = sl._mapping(data, "exploration") if "exploration" in data else LineDict()
    if "exploration" in data:
        _keys(exploration, EXPLORATION, "exploration")
    epsilon = sl._number(exploration, "epsilon", 0.1, 0.0, 1.0) if exploration else 0.1
    floor = sl._number(exploration, "floor", 0.02, 0.0, 1.0) if exploration else 0.02
    if floor is not None and floor * len(actions) > 1.0:
        raise sl._err(exploration, "floor", f"a floor of {floor:g} for {len(actions)} actions is over 100%")
    sample = None
    if "sample" in data:
        s = sl._mapping(data, "sample")
        _keys(s, DECISION_SAMPLE, "sample")
        sample = sl._text(s, "customer", required=True)
    return DecisionSpec(
        id=decision_id,
        title=sl._text(data, "title", decision_id) or decision_id,
        where=Where(data.file, data.line),
        actions=tuple(actions),
        features=_features(sl._mapping(data, "features")) if "features" in data else (),
        data=sl._asset(root, data, "data") if "data" in data else None,
        sample_customer=sample,
        cta_reward=sl._number(reward, "cta", 1.0, 0.0, 1e6) if reward else 1.0,  # type: ignore[arg-type]
        completion_reward=sl._number(reward, "completion", 0.3, 0.0, 1e6) if reward else 0.3,  # type: ignore[arg-type]
        outcome_window_hours=sl._number(data, "outcome_window_hours", 48.0, 0.0, 24 * 365.0) or 0.0,
        epsilon=epsilon if epsilon is not None else 0.1,
        floor=floor if floor is not None else 0.02,
    )


def _cross_check(decision: DecisionSpec, lib: Library) -> list[SceneError]:
    errors = []
    for action in decision.actions:
        story = lib.stories.get(action.story)
        if story is None:
            errors.append(action.where.error(
                f"action '{action.name}' uses unknown story '{action.story}' "
                f"(known: {', '.join(sorted(lib.stories))})"))
        elif action.variant and story.variant(action.variant) is None:
            known = ", ".join(v.name for v in story.variants) or "none"
            errors.append(action.where.error(
                f"action '{action.name}': story '{story.id}' has no variant '{action.variant}' (variants: {known})"))
    return errors


def decision_data(decision: DecisionSpec, lib: Library) -> str | None:
    """The decision's customer data file (content-relative): `data:`, else where its first
    action's story finds its customers."""
    if decision.data:
        return decision.data
    story = lib.stories.get(decision.actions[0].story)
    return story.customer_data if story else None


def action_data_files(decision: DecisionSpec, lib: Library) -> dict[str, str]:
    """Per action whose story finds its customers (`StorySpec.customer_data`) in another file than
    the decision's: that file. Those actions are judged on the customer's record there."""
    primary = decision_data(decision, lib)
    primary_path = lib.path(primary).resolve() if primary else None
    files = {}
    for action in decision.actions:
        story = lib.stories.get(action.story)
        data = story.customer_data if story else None
        if data and lib.path(data).resolve() != primary_path:
            files[action.name] = data
    return files


def _check_sample(decision: DecisionSpec, lib: Library) -> list[SceneError]:
    """Evaluate every condition, value and feature for the sample customer (file:line on failure),
    each action over the sample's record in its own story's data file."""
    from smartvideo.data_sources import FileCustomerSource
    from smartvideo.nba.arbitration import click_facts, evaluate_action, evaluate_features

    data = decision_data(decision, lib)
    if not decision.sample_customer or not data:
        return []
    click = {"click": click_facts("portrait", "email")}
    try:
        record = {**FileCustomerSource(lib.path(data)).get(decision.sample_customer), **click}
    except SmartVideoError as exc:
        return [decision.where.error(f"sample customer: {exc}")]
    errors = []
    today = dt.date.today()
    try:
        evaluate_features(decision, record, today)
    except SmartVideoError as exc:
        errors.append(sl_error(exc, decision.where))
    others = action_data_files(decision, lib)
    for action in decision.actions:
        own = record
        if action.name in others:
            try:
                own = {**FileCustomerSource(lib.path(others[action.name])).get(decision.sample_customer), **click}
            except SmartVideoError as exc:
                errors.append(action.where.error(
                    f"action '{action.name}' cannot be checked with the sample customer: {exc} (its story "
                    f"'{action.story}' finds its customers there; pick a sample customer who is in every file)"))
                continue
        try:
            evaluate_action(action, own, today)
        except SmartVideoError as exc:
            errors.append(sl_error(exc, action.where))
    return errors


def sl_error(exc: SmartVideoError, where: Where) -> SceneError:
    from smartvideo.render.validation import _as_scene_error

    return _as_scene_error(exc, where.file, where.line, "with the sample customer: ")


def collect_decisions(lib: Library, check_samples: bool = True) -> tuple[dict[str, DecisionSpec], list[SceneError]]:
    """Every decision under the library's root, and every error found in them (conditions, values
    and features evaluated for the sample customer unless `check_samples` is False)."""
    folder = lib.root / DECISIONS_DIR
    decisions: dict[str, DecisionSpec] = {}
    errors: list[SceneError] = []
    for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        try:
            decision = parse_decision(lib.root, path)
        except SceneError as exc:
            errors.append(exc)
            continue
        found = _cross_check(decision, lib)
        if not found and check_samples:
            found = _check_sample(decision, lib)
        errors.extend(found)
        decisions[decision.id] = decision
    return decisions, errors


def load_decisions(lib: Library) -> dict[str, DecisionSpec]:
    """The decisions, or ValidationFailed naming every problem."""
    from smartvideo.errors import ValidationFailed

    decisions, errors = collect_decisions(lib)
    if errors:
        raise ValidationFailed(errors)
    return decisions
