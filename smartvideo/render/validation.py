"""`smartvideo validate`: every scene, story, theme, voice profile and template, checked at once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError

from smartvideo.data_sources import FileCustomerSource, read_records
from smartvideo.errors import SceneError, SmartVideoError, did_you_mean
from smartvideo.render.contract import DataContract, template_references
from smartvideo.render.devices import PROFILES
from smartvideo.render.planner import PlanInputs, StoryPlanner
from smartvideo.render.renderer import click_context
from smartvideo.render.scene_loader import Library, collect_library, story_files
from smartvideo.render.scene_model import StorySpec
from smartvideo.render.templating import Where, environment

_LOCATION = re.compile(r"^(customer \S+: )?(?P<file>[^:\n]+):(?P<line>\d+): (?P<message>.*)$", re.S)


def _estimated_length(text: str, profile: str) -> float:
    # Validation checks templates, not timing: a reading-speed estimate stands in for speech.
    return max(1.0, len(text.split()) / 2.6)


def _as_scene_error(exc: SmartVideoError, fallback_file: str, fallback_line: int, prefix: str) -> SceneError:
    if isinstance(exc, SceneError):
        return exc
    match = _LOCATION.match(str(exc))
    if match:
        return SceneError(f"{prefix}{match['message']}", match["file"], int(match["line"]))
    return SceneError(f"{prefix}{exc}", fallback_file, fallback_line)


def check_record(lib: Library, story: StorySpec, record: Mapping[str, Any], label: str) -> list[SceneError]:
    """Plan a story for one record, in every variant and orientation, every scene and layer."""
    where = story.where
    errors: list[SceneError] = []
    try:
        extra = click_context(lib, story.id, record, {})
    except SmartVideoError as exc:
        return [_as_scene_error(exc, where.file, where.line, f"{label}: ")]
    seen: set[str] = set()
    for variant in [None, *(v.name for v in story.variants)]:
        for device in (PROFILES["landscape"], PROFILES["portrait"]):
            inputs = PlanInputs(story_id=story.id, record=record, device=device, variant=variant,
                                extra_context=extra)
            problems: list[SmartVideoError] = []
            try:
                StoryPlanner(lib, inputs, _estimated_length, lambda path: "", every_scene=True, problems=problems)
            except SmartVideoError as exc:
                problems.append(exc)
            for problem in problems:
                error = _as_scene_error(problem, where.file, where.line, f"{label}: ")
                if error.location_message() not in seen:
                    seen.add(error.location_message())
                    errors.append(error)
    return errors


def check_story_data(lib: Library, skip_files: set[str] | None = None) -> list[SceneError]:
    """Plan every story for its sample customer; stories made of files in `skip_files` (which have
    mistakes of their own, already reported) are left out."""
    errors: list[SceneError] = []
    for story in lib.stories.values():
        files = story_files(lib, story)
        if story.sample is None or files is None or files & (skip_files or set()):
            continue
        where = story.where
        try:
            record = FileCustomerSource(lib.path(story.sample.data)).get(story.sample.customer)
        except SmartVideoError as exc:
            errors.append(_as_scene_error(exc, where.file, where.line, "sample data: "))
            continue
        errors.extend(check_record(lib, story, record, f"with sample customer {story.sample.customer}"))
    return errors


def stories_for_data(lib: Library, data_file: Path, story_id: str | None) -> list[StorySpec]:
    """The stories a data file is checked against: the one named, else those that use the file."""
    if story_id:
        return [lib.story(story_id)]
    wanted = data_file.resolve()
    stories = [s for s in lib.stories.values()
               if (s.data and lib.path(s.data) == wanted) or (s.sample and lib.path(s.sample.data) == wanted)]
    if not stories:
        raise SmartVideoError(f"no story names {data_file} as its data or sample; pass --story ID "
                              f"(stories: {', '.join(sorted(lib.stories))})")
    return stories


def check_data_file(lib: Library, data_file: Path, story_id: str | None = None) -> list[SceneError]:
    """Every record of a data file against every template of the stories that use it.

    Each problem names the record id; the same template mistake for many records is reported
    once per record, in file order.
    """
    records = read_records(data_file)
    errors: list[SceneError] = []
    for story in stories_for_data(lib, data_file, story_id):
        for n, record in enumerate(records, 1):
            label = f"{data_file.name} record {record.get('id', f'#{n}')}"
            errors.extend(check_record(lib, story, record, label))
    return errors


# Names a template may use that are not customer data: click context, the story, Jinja's own.
_NOT_RECORD = {"story", "click", "store", "loop", "plural", "range", "dict", "lipsum", "cycler", "joiner",
               "namespace", "true", "false", "none", "True", "False", "None", "_locale", "_currency"}


def _templates_of(lib: Library, story: StorySpec) -> list[tuple[str, Where, bool]]:
    """(source, where, is expression) of every template the story's scenes and variants can show."""
    refs = list(story.scenes)
    out: list[tuple[str, Where, bool]] = []
    for variant in story.variants:
        refs.extend(variant.scenes or ())
        for _scene_id, override in variant.overrides:
            for _, content in override.layer_content:
                out.append((content, variant.where, False))
            if override.voice:
                out.append((override.voice, variant.where, False))
    seen: set[str] = set()
    for ref in refs:
        if ref.when:
            out.append((ref.when, ref.where, True))
        if ref.scene in seen or ref.scene not in lib.scenes:
            continue
        seen.add(ref.scene)
        scene = lib.scenes[ref.scene]
        if scene.when:
            out.append((scene.when, scene.where, True))
        if scene.voice:
            out.append((scene.voice, scene.voice_where or scene.where, False))
        for layer in scene.layers:
            if layer.chart is not None:
                out.append((layer.chart.items, layer.where, True))
                for key in (layer.chart.label, layer.chart.value):
                    out.append((f"{layer.chart.items}[0].{key}", layer.where, True))
            elif layer.content:
                out.append((layer.content, layer.where, False))
            out.extend((text, layer.where, False) for _, text in layer.device_content)
            out.extend((expression, layer.where, True) for expression in (layer.when, layer.style_from) if expression)
    if story.cta_url:
        out.append((story.cta_url, story.where, False))
    return out


def _declared_hint(contract: DataContract, path: str) -> str:
    """A did-you-mean among the declared names, and the declared fields beside the one asked for."""
    names = contract.names()
    parent = path.rsplit(".", 1)[0] if "." in path else ""
    siblings = sorted(n[len(parent) + 1:] for n in names
                      if parent and n.startswith(parent + ".") and "." not in n[len(parent) + 1:])
    beside = f"; {parent} has: {', '.join(siblings)}" if siblings else ""
    return f"{did_you_mean(path, names)}{beside}"


def check_contract_references(lib: Library) -> list[SceneError]:
    """Every field a story's templates read must be declared in its data contract (file:line)."""
    errors: list[SceneError] = []
    for story in lib.stories.values():
        contract = story.contract
        if contract is None:
            continue
        reported: set[tuple[str, str, int]] = set()
        for source, where, expression in _templates_of(lib, story):
            try:
                paths = template_references(source, expression)
            except TemplateSyntaxError:
                continue  # reported by the loader
            for path in paths:
                if path.split(".")[0] in _NOT_RECORD or path == "id" or contract.declares(path):
                    continue
                key = (path, where.file, where.line)
                if key not in reported:
                    reported.add(key)
                    errors.append(SceneError(
                        f"'{path}' is not declared in the data contract of story '{story.id}' "
                        f"({Path(contract.file).name}:{contract.line}){_declared_hint(contract, path)}",
                        where.file, where.line))
    return errors


def check_templates(folder: Path) -> list[SceneError]:
    """Jinja2 syntax of every page and invitation template."""
    errors = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            environment().parse(path.read_text(encoding="utf-8"))
        except TemplateSyntaxError as exc:
            errors.append(SceneError(f"template syntax error: {exc.message}", path, exc.lineno))
        except UnicodeDecodeError:
            errors.append(SceneError("template is not UTF-8 text", path, 1))
    return errors


def validate_root(root: Path) -> list[SceneError]:
    """All errors under a content root, sorted by file and line."""
    lib, errors = collect_library(root)
    errors.extend(check_contract_references(lib))
    errors.extend(check_story_data(lib, {e.file for e in errors if e.file}))
    from smartvideo.nba.decision_loader import collect_decisions  # decisions refer to stories

    # Sample data the stories already found wrong is reported once, by them.
    errors.extend(collect_decisions(lib, check_samples=not errors)[1])
    if (root / "templates").is_dir():
        errors.extend(check_templates(root / "templates"))
    # Stable: two problems on one line keep the order they were found in.
    return sorted(errors, key=lambda e: (e.file or "", e.line or 0))
