"""`smartvideo bench`: the speed figures, printed as JSON lines (median of several runs).

Figures, not assertions: tests never time anything. Each line names the figure, its value and
unit, the number of runs, and the machine it was measured on (`figures.py`).

A group is a module here with a `run(args, results)` function that prints its figures and returns
them; `results` carries figures between groups (moviepy compares with the warm render).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Iterable
from typing import Any

# group name -> "module:function"; run in this order when no --only is given.
GROUPS: dict[str, str] = {
    "render": "smartvideo.bench.render:run",
    "moviepy": "smartvideo.bench.render:run_moviepy",
    "click": "smartvideo.bench.click:run",
    "analytics": "smartvideo.bench.analytics:run",
    "authoring": "smartvideo.bench.authoring:run",
    "check_data": "smartvideo.bench.check_data:run",
    "browser": "smartvideo.bench.browser:run",
    "decide": "smartvideo.bench.decide:run",
    "campaign": "smartvideo.bench.campaign:run",
}


def group_runner(name: str) -> Callable[[argparse.Namespace, dict[str, float]], Iterable[dict[str, Any]]]:
    module, _, function = GROUPS[name].partition(":")
    return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]


def run_benchmarks(args: argparse.Namespace) -> None:
    from smartvideo.errors import SmartVideoError

    only = [name.strip() for name in (args.only or ",".join(GROUPS)).split(",") if name.strip()]
    unknown = [name for name in only if name not in GROUPS]
    if unknown:
        raise SmartVideoError(f"unknown benchmark group {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    results: dict[str, float] = {}
    for name in only:
        for figure in group_runner(name)(args, results):
            results[figure["name"]] = figure["value"]
