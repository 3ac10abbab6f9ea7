"""Engagement score per customer: points per interaction, configured in YAML."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from smartvideo.analytics.errors import ReportError

DEFAULT_FILE = Path(__file__).with_name("engagement.yaml")
INTERACTIONS = ("opened", "watched_half", "completed", "cta")


@dataclass(frozen=True, slots=True)
class EngagementPoints:
    opened: int = 5
    watched_half: int = 10
    completed: int = 20
    cta: int = 100
    top: int = 50

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in INTERACTIONS}

    def score(self, opened: bool, watched_half: bool, completed: bool, cta: bool) -> int:
        return self.opened * opened + self.watched_half * watched_half + self.completed * completed + self.cta * cta


def load_engagement(path: str | Path | None = None, content_root: Path | None = None) -> EngagementPoints:
    """Points from path, else <content_root>/engagement.yaml, else the packaged defaults."""
    candidates = [Path(path)] if path else []
    if content_root is not None:
        candidates.append(content_root / "engagement.yaml")
    candidates.append(DEFAULT_FILE)
    for file in candidates:
        if file.is_file() or (path and file == Path(path)):
            return _parse(file)
    return EngagementPoints()


def _parse(file: Path) -> EngagementPoints:
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ReportError(f"cannot read engagement points {file}: {exc}") from None
    if not isinstance(data, dict) or set(data) - {"points", "top"}:
        raise ReportError(f"{file}: expected keys 'points' and 'top'")
    points = data.get("points") or {}
    if not isinstance(points, dict) or set(points) - set(INTERACTIONS):
        raise ReportError(f"{file}: points may only name {', '.join(INTERACTIONS)}")
    values = {**points, "top": data.get("top", 50)}
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ReportError(f"{file}: {name} must be a whole number >= 0")
    return EngagementPoints(**values)
