"""Render figures: cold and warm renders of the demo story, per-stage times, and plain MoviePy."""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from pathlib import Path
from typing import Any

from smartvideo.bench.figures import emit
from smartvideo.render.renderer import Renderer, RenderRequest
from smartvideo.settings import RenderSettings, find_content_root

STORY = "first_bill"
CUSTOMER = "C1001"


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
    from smartvideo.render.drawing import draw_layer

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
    from smartvideo.bench.moviepy_reference import render_with_moviepy

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


def run(args: argparse.Namespace, results: dict[str, float]) -> list[dict[str, Any]]:
    figures = bench_render(find_content_root(getattr(args, "root", None)), args.runs)
    results.update({f["name"]: f["value"] for f in figures})
    return figures


def run_moviepy(args: argparse.Namespace, results: dict[str, float]) -> list[dict[str, Any]]:
    return bench_moviepy(find_content_root(getattr(args, "root", None)), results.get("render_warm_s"),
                         results.get("render_cold_s"))
