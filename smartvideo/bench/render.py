"""Render figures: cold and warm renders of the demo story, per-stage times, CPU cost, throughput,
the quality of the per-click encode, and plain MoviePy."""

from __future__ import annotations

import argparse
import copy
import re
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

from smartvideo.bench.figures import cpu_seconds, emit
from smartvideo.bench.similarity import compare_videos
from smartvideo.ffmpeg_exec import FfmpegRun, watch_ffmpeg
from smartvideo.render.plan import RenderPlan
from smartvideo.render.renderer import Renderer, RenderRequest
from smartvideo.render.scene_encoder import X264_PARAMS_V2, encode_scene
from smartvideo.settings import RenderSettings, find_content_root

STORY = "first_bill"
CUSTOMER = "C1001"


def _settings(root: Path, cache: Path) -> RenderSettings:
    return RenderSettings(content_root=root, cache_dir=cache, work_dir=cache / "personal")


def new_customer(base: dict[str, Any], n: int) -> dict[str, Any]:
    """A customer never rendered before: other name, other amounts (money stays exact Decimal)."""
    record = copy.deepcopy(base)
    record["id"] = f"BENCH{n:04d}-{time.time_ns()}"
    record["customer"]["first_name"] = ["Noor", "Daan", "Emma", "Liam", "Sofie", "Finn", "Julia", "Milan"][n % 8]
    record["bill"]["total"] = Decimal(str(base["bill"]["total"])) + Decimal("1.37") * (n + 1)
    first_line = record["bill"]["lines"][0]
    first_line["amount"] = Decimal(str(first_line["amount"])) + Decimal("0.50") * (n + 1)
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
        cpu: list[float] = []
        stages: dict[str, list[float]] = {}
        splits: list[dict[str, float]] = []
        processes: list[float] = []
        for run in range(runs):
            record = new_customer(base, run)
            ffmpeg_runs: list[FfmpegRun] = []
            started, cpu_started = time.perf_counter(), cpu_seconds()
            with watch_ffmpeg(ffmpeg_runs.append):
                result = renderer.render(RenderRequest(story=STORY, customer=record["id"], output=out, variant="A",
                                                       record=record))
            warm.append(time.perf_counter() - started)
            cpu.append(cpu_seconds() - cpu_started)
            splits.append(cpu_split(cpu[-1], ffmpeg_runs, result.voice_cpu_s))
            processes.append(len(ffmpeg_runs))
            for stage, seconds in result.timings.items():
                stages.setdefault(stage, []).append(seconds)
        figures.append(emit("render_warm_s", warm, "s", story=STORY, video_s=duration,
                            personal_scenes=personal, device="landscape", encoder=renderer.video_encoder,
                            note="p50; static scenes cached, a customer never rendered before"))
        personal_s = sum(s.duration for s in result.plan.scenes if s.personal)
        figures.append(emit("render_warm_cpu_s", cpu, "s", note="CPU-seconds per click, this process + ffmpeg"))
        figures.append(emit("cpu_s_per_personal_video_s", [c / personal_s for c in cpu], "s/s",
                            personal_video_s=round(personal_s, 2),
                            note="CPU-seconds per click divided by the seconds of personal video in it"))
        figures.append(emit("render_warm_cpu_split_s", cpu, "s", ffmpeg_processes=statistics.median(processes),
                            parts={part: round(statistics.median(split.get(part, 0.0) for split in splits), 3)
                                   for part in splits[-1]},
                            note="CPU-seconds per click by where they go (medians): each ffmpeg process by what "
                                 "it does, speaking the new lines, and the rest of this process"))
        for stage, values in stages.items():
            if stage != "total":
                figures.append(emit(f"stage_{stage}_s", values, "s"))
        figures.append(emit("stage_overlays_s", [_time_overlays(result.plan) for _ in range(runs)], "s",
                            note="Pillow drawing of every layer of the personal scenes"))
        figures.append(emit("stage_plan_s", [_time_plan(renderer, record, out) for _ in range(runs)], "s",
                            note="planning alone, voice lines cached"))
        figures += bench_quality(renderer, result.plan, Path(tmp) / "quality")
        figures += bench_throughput(renderer, base, Path(tmp) / "throughput", runs)
    return figures


def cpu_split(total: float, ffmpeg_runs: list[FfmpegRun], voice_cpu_s: float) -> dict[str, float]:
    """A click's CPU-seconds by part: ffmpeg processes by what they did (a scene's encode, the audio
    track, joins...), the voice lines spoken, and what is left of this process (planning, drawing)."""
    parts: dict[str, float] = {}
    for run in ffmpeg_runs:
        kind = "ffmpeg: " + re.sub(r"\s*\(part \d+\)|\s*'[^']*'", "", run.what).strip()
        parts[kind] = parts.get(kind, 0.0) + run.cpu_s
    parts["voice"] = voice_cpu_s
    parts["python, rest"] = total - sum(parts.values())
    return parts


def bench_quality(renderer: Renderer, plan: RenderPlan, folder: Path) -> list[dict[str, Any]]:
    """The personal scenes as a click encodes them now, against the encode before this speed work: one
    x264 process over the whole scene, decoding the encoded plate, with RENDERER_VERSION 2's x264
    settings (intra partitions searched): SSIM and PSNR over every frame."""
    ssim: list[float] = []
    psnr: list[float] = []
    for scene in plan.scenes:
        if not scene.personal:
            continue
        reference = encode_scene(renderer.on_plate(scene, plan.device, raw=False), plan.device,
                                 folder / f"{scene.index}.reference.mp4", renderer.settings.preset, workers=1,
                                 x264_params=X264_PARAMS_V2)
        similarity = compare_videos(renderer.encode_personal(scene, plan.device, folder / f"{scene.index}.mp4"),
                                    reference)
        ssim.append(similarity.ssim)
        psnr.append(similarity.psnr_db)
    if not ssim:
        return []
    note = "personal scenes as encoded per click vs one whole-scene x264 process with v2 settings (the encode before)"
    return [emit("personal_scene_ssim", ssim, "", encoder=renderer.video_encoder, note=note),
            emit("personal_scene_psnr_db", psnr, "dB", encoder=renderer.video_encoder, note=note)]


def bench_throughput(renderer: Renderer, base: dict[str, Any], folder: Path, runs: int) -> list[dict[str, Any]]:
    """Renders per minute of new customers for one worker (this machine) at 1, 2 and 3 renders at once."""
    folder.mkdir(parents=True, exist_ok=True)
    per_minute: dict[int, float] = {}
    for concurrency in (1, 2, 3):
        records = [new_customer(base, 1000 * concurrency + n) for n in range(concurrency * max(2, runs // 2))]

        def render(record: dict[str, Any]) -> None:
            renderer.render(RenderRequest(story=STORY, customer=record["id"], output=folder / f"{record['id']}.mp4",
                                          variant="A", record=record))

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(render, records))
        per_minute[concurrency] = len(records) * 60 / (time.perf_counter() - started)
    best = max(per_minute, key=lambda c: per_minute[c])
    return [emit("renders_per_minute", [per_minute[best]], "renders/min", concurrency=best,
                 by_concurrency={str(c): round(v, 2) for c, v in per_minute.items()},
                 note="one worker on this machine, new customers, static scenes cached")]


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
        # Right after it, in the same process: new customers on a warm renderer (static scenes cached).
        out = Path(tmp) / "out.mp4"
        renderer.render(RenderRequest(story=STORY, customer=CUSTOMER, output=out, variant="A"))
        base = dict(renderer.record_for(RenderRequest(story=STORY, customer=CUSTOMER, output=out)))
        fresh = []
        for n in range(3):
            record = new_customer(base, 500 + n)
            started = time.perf_counter()
            renderer.render(RenderRequest(story=STORY, customer=record["id"], output=out, variant="A", record=record))
            fresh.append(time.perf_counter() - started)
    figures = [emit("moviepy_render_s", [seconds], "s", story=STORY,
                    note="CompositeVideoClip + write_videofile, same size, fps and codec settings")]
    figures.append(emit("render_new_customer_after_moviepy_s", fresh, "s",
                        note="warm render of a customer never rendered before, right after MoviePy"))
    figures.append(emit("speedup_vs_moviepy_new_customer", [seconds / statistics.median(fresh)], "x",
                        note="MoviePy seconds / the median above, one run"))
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
