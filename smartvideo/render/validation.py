"""`smartvideo validate`: every scene, story, theme, voice profile and template, checked at once."""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import TemplateSyntaxError

from smartvideo.data_sources import FileCustomerSource
from smartvideo.errors import SceneError, SmartVideoError
from smartvideo.render.contract import template_references
from smartvideo.render.devices import PROFILES
from smartvideo.render.planner import PlanInputs, plan_video
from smartvideo.render.renderer import click_context
from smartvideo.render.scene_loader import Library, collect_library
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


def check_story_data(lib: Library) -> list[SceneError]:
    """Plan every story for its sample customer, in every variant and orientation, every scene."""
    errors: list[SceneError] = []
    for story in lib.stories.values():
        if story.sample is None:
            continue
        where = story.where
        try:
            record = FileCustomerSource(lib.path(story.sample.data)).get(story.sample.customer)
            extra = click_context(lib, story.id, record, {})
        except SmartVideoError as exc:
            errors.append(_as_scene_error(exc, where.file, where.line, "sample data: "))
            continue
        seen: set[str] = set()
        for variant in [None, *(v.name for v in story.variants)]:
            for device in (PROFILES["landscape"], PROFILES["portrait"]):
                inputs = PlanInputs(story_id=story.id, record=record, device=device, variant=variant,
                                    extra_context=extra)
                try:
                    plan_video(lib, inputs, _estimated_length, lambda path: "", every_scene=True)
                except SmartVideoError as exc:
                    error = _as_scene_error(exc, where.file, where.line,
                                            f"with sample customer {story.sample.customer}: ")
                    if error.location_message() not in seen:
                        seen.add(error.location_message())
                        errors.append(error)
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
    if story.cta_url:
        out.append((story.cta_url, story.where, False))
    return out


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
                        f"({Path(contract.file).name}:{contract.line})", where.file, where.line))
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
    if not errors:
        errors.extend(check_contract_references(lib))
        errors.extend(check_story_data(lib))
    if (root / "templates").is_dir():
        errors.extend(check_templates(root / "templates"))
    return sorted(errors, key=lambda e: (e.file or "", e.line or 0))
