"""Authoring figures: how long `validate` takes, and save-to-redrawn for `preview --watch`.

The watch figure is measured as an author sees it: a scene file is saved (a style changed, so no
new voice line is needed) and the clock stops when the preview PNG has been redrawn.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from smartvideo.bench.figures import cpu_seconds, emit

STORY = "first_bill"
SCENE_FILE = "bill_total.yaml"


def _content_copy(into: Path) -> Path:
    from smartvideo.settings import bundled_content_root

    source = bundled_content_root()
    for name in ("scenes", "voices", "data"):
        shutil.copytree(source / name, into / name)
    (into / "assets").symlink_to(source / "assets")
    return into


def _validate_figure(runs: int) -> dict[str, Any]:
    from smartvideo.render.validation import validate_root
    from smartvideo.settings import bundled_content_root

    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), cpu_seconds()
        validate_root(bundled_content_root())
        walls.append(time.perf_counter() - wall)
        cpus.append(cpu_seconds() - cpu)
    return emit("validate_bundled_content", walls, "s", cpu_s=round(sorted(cpus)[len(cpus) // 2], 3))


def _watch_figure(args: argparse.Namespace, runs: int) -> dict[str, Any]:
    from smartvideo.cli import _write_preview, build_parser
    from smartvideo.commands.preview_watch import watch_and_redraw

    with tempfile.TemporaryDirectory(prefix="sv-bench-watch-") as tmp:
        root = _content_copy(Path(tmp))
        out = root / "preview.png"
        options = ["--root", str(root)] + (["--cache", args.cache] if getattr(args, "cache", None) else [])
        preview = build_parser().parse_args([*options, "preview", "--story", STORY, "--out", str(out)])
        lines: list[str] = []
        stop = threading.Event()
        watcher = threading.Thread(target=watch_and_redraw,
                                   args=(root, lambda: _write_preview(preview), out, stop, lines.append))
        watcher.start()

        def drawn() -> int:
            return sum(line.startswith("drew ") for line in lines)

        try:
            while drawn() == 0 and watcher.is_alive():
                time.sleep(0.01)
            scene = root / "scenes" / SCENE_FILE
            styles = ("style: body", "style: subhead")
            walls, cpus = [], []
            for run in range(runs):
                time.sleep(0.3)
                before, text = drawn(), scene.read_text()
                wall, cpu = time.perf_counter(), cpu_seconds()
                scene.write_text(text.replace(styles[run % 2], styles[(run + 1) % 2], 1))
                while drawn() == before and watcher.is_alive():
                    time.sleep(0.002)
                walls.append(time.perf_counter() - wall)
                cpus.append(cpu_seconds() - cpu)
        finally:
            stop.set()
            watcher.join(timeout=10)
    return emit("preview_watch_save_to_redrawn", walls, "s", story=STORY,
                cpu_s=round(sorted(cpus)[len(cpus) // 2], 3))


def run(args: argparse.Namespace, results: dict[str, float]) -> list[dict[str, Any]]:
    runs = max(3, getattr(args, "runs", 5))
    return [_validate_figure(runs), _watch_figure(args, runs)]
