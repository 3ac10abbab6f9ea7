"""One story or theme read from its own file, without loading the content library.

For a process that renders nothing (a web process in scaled mode) but must know a story's
allocation or theme at a click: the loader's own parser reads just that file, once per version of
the file (mtime and size), so the answer is the library's. A mistake in the file is its SceneError,
as loading the library would raise. References to other files are not checked here (`validate`
and the renderer's library do that).
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from smartvideo.render.scene_model import StorySpec, ThemeSpec

_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")  # an id as the library accepts it: never a path


def _file(root: Path, folder: str, item_id: str) -> tuple[str, int, int] | None:
    if not _ID.match(item_id):
        return None
    for name in (f"{item_id}.yml", f"{item_id}.yaml"):  # the library loads .yml after .yaml: it wins
        path = root / folder / name
        try:
            st = os.stat(path)
        except OSError:
            continue
        return str(path), st.st_mtime_ns, st.st_size
    return None


@functools.lru_cache(maxsize=256)
def _story(root: str, path: str, mtime_ns: int, size: int) -> StorySpec:
    from smartvideo.render.scene_loader import parse_story

    return parse_story(Path(root), Path(path))


@functools.lru_cache(maxsize=64)
def _theme(root: str, path: str, mtime_ns: int, size: int) -> ThemeSpec:
    from smartvideo.render.scene_loader import parse_theme

    return parse_theme(Path(root), Path(path))


def read_story(root: Path, story_id: str) -> StorySpec | None:
    """scenes/stories/<id>.yaml under the content root; None when there is no such story."""
    found = _file(root, "scenes/stories", story_id)
    return _story(str(root.resolve()), *found) if found else None


def read_theme(root: Path, theme_id: str) -> ThemeSpec | None:
    """scenes/themes/<id>.yaml under the content root; None when there is no such theme."""
    found = _file(root, "scenes/themes", theme_id)
    return _theme(str(root.resolve()), *found) if found else None
