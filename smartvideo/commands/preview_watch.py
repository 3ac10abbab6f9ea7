"""`smartvideo preview --watch`: redraw the preview whenever a content file is saved.

watchfiles (Rust `notify`) reports a save within milliseconds; the redraw reloads the content
folder, plans again (voice lines come from the TTS cache) and composes stills, so without a new
voice line the PNG is redrawn well within a second.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import watchfiles

from smartvideo.errors import SceneError, SmartVideoError, ValidationFailed

# Quiet time after a change before redrawing: editors write a file in more than one step.
DEBOUNCE_MS = 80
# How often the watcher wakes up when nothing changes (it also checks `stop` then).
IDLE_MS = 500


def _report(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def redraw_once(redraw: Callable[[], Path], report: Callable[[str], None] = _report, why: str = "") -> bool:
    """Draw once; a mistake in the content is reported (every problem) and watching goes on."""
    started = time.perf_counter()
    try:
        path = redraw()
    except ValidationFailed as exc:
        for error in exc.errors:
            report(error.location_message())
        report(f"{len(exc.errors)} problem(s); fix and save to redraw")
        return False
    except SceneError as exc:
        report(exc.location_message())
        return False
    except SmartVideoError as exc:
        report(f"error: {exc}")
        return False
    report(f"drew {path} in {time.perf_counter() - started:.2f} s{why}")
    return True


def watch_and_redraw(root: Path, redraw: Callable[[], Path], output: Path,
                     stop: threading.Event | None = None, report: Callable[[str], None] = _report) -> None:
    """Draw, then redraw after every change under `root` (not the output itself) until `stop` or Ctrl-C."""
    output = output.resolve()

    def relevant(change: watchfiles.Change, path: str) -> bool:
        return Path(path).resolve() != output and watchfiles.DefaultFilter()(change, path)

    watching = False
    try:
        # The watcher starts before the first draw (the first, empty, yield comes after IDLE_MS), so
        # a save made while the first sheet is drawn is not missed.
        for changes in watchfiles.watch(root, watch_filter=relevant, debounce=DEBOUNCE_MS, step=20,
                                        stop_event=stop, raise_interrupt=False, yield_on_timeout=True,
                                        rust_timeout=IDLE_MS):
            if not watching:
                redraw_once(redraw, report)
                report(f"watching {root} for changes (Ctrl-C to stop)")
                watching = True
            elif changes:
                names = sorted({Path(p).name for _, p in changes})
                redraw_once(redraw, report, f" ({', '.join(names)} changed)")
    except KeyboardInterrupt:
        pass
