"""`smartvideo bench`: the speed figures, printed as JSON lines (median of several runs).

Figures, not assertions: tests never time anything. Each line names the figure, its value and
unit, the number of runs, and the machine it was measured on.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import socket
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from smartvideo.renderer import Renderer, RenderRequest
from smartvideo.settings import RenderSettings, find_content_root

STORY = "first_bill"
CUSTOMER = "C1001"


def machine() -> str:
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{platform.machine()} {os.cpu_count()} cores, {python}"


def figure(name: str, values: list[float], unit: str, runs: int | None = None, **extra: Any) -> dict[str, Any]:
    """One benchmark figure: the median of `values`, with min, max and the machine."""
    return {"name": name, "value": round(statistics.median(values), 4), "unit": unit,
            "runs": runs if runs is not None else len(values), "min": round(min(values), 4),
            "max": round(max(values), 4), "machine": machine(), **extra}


def emit(name: str, values: list[float], unit: str, **extra: Any) -> dict[str, Any]:
    """Print a figure as a JSON line, and return it."""
    result = figure(name, values, unit, **extra)
    print(json.dumps(result), flush=True)
    return result


def free_port() -> int:
    """A free TCP port on loopback, for a server a benchmark starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _settings(root: Path, cache: Path) -> RenderSettings:
    return RenderSettings(content_root=root, cache_dir=cache, work_dir=cache / "personal")


def _new_customer(base: dict[str, Any], n: int) -> dict[str, Any]:
    """A customer never rendered before: other name, other amounts."""
    record = copy.deepcopy(base)
    record["id"] = f"BENCH{n:04d}-{time.time_ns()}"
    record["customer"]["first_name"] = ["Noor", "Daan", "Emma", "Liam", "Sofie", "Finn", "Julia", "Milan"][n % 8]
    record["bill"]["total"] = round(base["bill"]["total"] + 1.37 * (n + 1), 2)
    record["bill"]["lines"][0]["amount"] = round(base["bill"]["lines"][0]["amount"] + 0.5 * (n + 1), 2)
    return record


def bench_render(root: Path, runs: int) -> list[dict[str, Any]]:
    """Cold (empty caches, fresh process state) and warm (static scenes cached, new customer) renders."""
    figures = []
    cold: list[float] = []
    with tempfile.TemporaryDirectory(prefix="sv-bench-") as tmp:
        out = Path(tmp) / "out.mp4"
        for run in range(max(1, min(runs, 3))):
            cache = Path(tmp) / f"cold{run}"
            started = time.perf_counter()
            renderer = Renderer(_settings(root, cache))
            result = renderer.render(RenderRequest(story=STORY, customer=CUSTOMER, output=out, variant="A"))
            cold.append(time.perf_counter() - started)
        duration = result.plan.duration
        personal = sum(s.personal for s in result.plan.scenes)
        figures.append(emit("render_cold_s", cold, "s", story=STORY, video_s=duration, device="landscape",
                            note="empty caches, includes loading the voice model"))

        renderer = Renderer(_settings(root, Path(tmp) / "cold0"))
        base = dict(renderer.record_for(RenderRequest(story=STORY, customer=CUSTOMER, output=out)))
        renderer.render(RenderRequest(story=STORY, customer=CUSTOMER, output=out, variant="A"))  # warm up
        warm: list[float] = []
        stages: dict[str, list[float]] = {}
        for run in range(runs):
            record = _new_customer(base, run)
            started = time.perf_counter()
            result = renderer.render(RenderRequest(story=STORY, customer=record["id"], output=out, variant="A",
                                                   record=record))
            warm.append(time.perf_counter() - started)
            for stage, seconds in result.timings.items():
                stages.setdefault(stage, []).append(seconds)
        figures.append(emit("render_warm_s", warm, "s", story=STORY, video_s=duration,
                            personal_scenes=personal, device="landscape",
                            note="static scenes cached, a customer never rendered before"))
        for stage, values in stages.items():
            if stage != "total":
                figures.append(emit(f"stage_{stage}_s", values, "s"))
        figures.append(emit("stage_overlays_s", [_time_overlays(result.plan) for _ in range(runs)], "s",
                            note="Pillow drawing of every layer of the personal scenes"))
        figures.append(emit("stage_plan_s", [_time_plan(renderer, record, out) for _ in range(runs)], "s",
                            note="planning alone, voice lines cached"))
    return figures


def _time_overlays(plan: Any) -> float:
    from smartvideo.drawing import draw_layer

    started = time.perf_counter()
    for scene in plan.scenes:
        if scene.personal:
            for layer in scene.layers:
                draw_layer(layer)
    return time.perf_counter() - started


def _time_plan(renderer: Renderer, record: dict[str, Any], out: Path) -> float:
    started = time.perf_counter()
    renderer.plan(RenderRequest(story=STORY, customer=record["id"], output=out, variant="A", record=record))
    return time.perf_counter() - started


def bench_moviepy(root: Path, warm_s: float | None, cold_s: float | None) -> list[dict[str, Any]]:
    """The same story composed in plain MoviePy (CompositeVideoClip + write_videofile)."""
    from smartvideo.moviepy_reference import render_with_moviepy

    with tempfile.TemporaryDirectory(prefix="sv-bench-mp-") as tmp:
        renderer = Renderer(_settings(root, Path(tmp) / "cache"))
        seconds = render_with_moviepy(renderer, STORY, CUSTOMER, Path(tmp) / "moviepy.mp4")
    figures = [emit("moviepy_render_s", [seconds], "s", story=STORY,
                    note="CompositeVideoClip + write_videofile, same size, fps and codec settings")]
    if warm_s:
        figures.append(emit("speedup_vs_moviepy_warm", [seconds / warm_s], "x"))
    if cold_s:
        figures.append(emit("speedup_vs_moviepy_cold", [seconds / cold_s], "x"))
    return figures


def bench_click(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    """Click figures: page latency under 200 clicks at once, click -> first playable segment."""
    from smartvideo.bench_click import bench_click_p99, bench_ttff

    for result in [*bench_click_p99(runs=args.runs), *bench_ttff(runs=args.runs)]:
        print(json.dumps(result), flush=True)
        yield result


def bench_analytics(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    """Beacon ingest throughput and report time over 1 M views (prints its own lines)."""
    from smartvideo.bench_analytics import run

    yield from run(args)


GROUPS: dict[str, Callable[[argparse.Namespace], Iterable[dict[str, Any]]]] = {
    "click": bench_click,
    "analytics": bench_analytics,
}


def run_benchmarks(args: argparse.Namespace) -> None:
    root = find_content_root(getattr(args, "root", None))
    only = set((args.only or "render,moviepy,click,analytics").split(","))
    results: dict[str, float] = {}
    if "render" in only:
        for figure in bench_render(root, args.runs):
            results[figure["name"]] = figure["value"]
    if "moviepy" in only:
        bench_moviepy(root, results.get("render_warm_s"), results.get("render_cold_s"))
    for name, func in GROUPS.items():
        if name in only:
            list(func(args))
