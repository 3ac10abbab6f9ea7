"""`smartvideo validate`: every scene, story, theme, voice profile and template, checked at once."""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import TemplateSyntaxError

from smartvideo.data_sources import FileCustomerSource
from smartvideo.errors import SceneError, SmartVideoError
from smartvideo.render.devices import PROFILES
from smartvideo.render.planner import PlanInputs, plan_video
from smartvideo.render.renderer import click_context
from smartvideo.render.scene_loader import Library, collect_library
from smartvideo.render.templating import environment

_LOCATION = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+): (?P<message>.*)$", re.S)


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
        errors.extend(check_story_data(lib))
        from smartvideo.nba.decision_loader import collect_decisions  # decisions refer to stories

        errors.extend(collect_decisions(lib)[1])
    if (root / "templates").is_dir():
        errors.extend(check_templates(root / "templates"))
    return sorted(errors, key=lambda e: (e.file or "", e.line or 0))
