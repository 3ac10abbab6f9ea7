"""The one render path: CLI, embedded server and Celery worker all call `Renderer.render`.

Load -> plan (pure) -> voice (cached per line) -> encode scenes (cached per scene content) ->
one audio track -> join by stream copy. Outputs appear only complete (temporary name + rename).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smartvideo import RENDERER_VERSION
from smartvideo.audio_track import PlacedVoice, build_audio_track, join_segments, master_voice_line
from smartvideo.background_plates import plate_for
from smartvideo.captions import build_webvtt
from smartvideo.data_sources import FileCustomerSource, nearest_store, parse_location, read_records
from smartvideo.devices import device_profile
from smartvideo.errors import DataSourceError
from smartvideo.planner import PlanInputs, plan_video
from smartvideo.render_plan import RenderPlan
from smartvideo.scene_encoder import encode_scene
from smartvideo.scene_loader import Library, load_library
from smartvideo.settings import RenderSettings
from smartvideo.templating import evaluate
from smartvideo.voice import Speech, VoiceBank

Progress = Callable[[str, float], None]  # (stage, fraction done 0..1)
SceneReady = Callable[[RenderPlan, int, Path, Path], None]  # (plan, scene index, segment, audio track)


@dataclass(frozen=True, slots=True)
class RenderRequest:
    story: str
    customer: str
    output: Path
    device: str = "landscape"
    variant: str | None = None
    data_file: Path | None = None  # customer records; default: the story's `data` file
    record: Mapping[str, Any] | None = None  # a record handed over directly (API, preview)
    click: Mapping[str, Any] = field(default_factory=dict)  # click context, e.g. {"location": "52.3,4.9"}


@dataclass(frozen=True, slots=True)
class RenderResult:
    video: Path
    captions: Path
    manifest: Path
    plan: RenderPlan
    timings: dict[str, float]
    segments_encoded: int
    segments_reused: int


def _file_hash(path: str, _cache: dict[tuple[str, float, int], str] = {}) -> str:  # noqa: B006
    st = os.stat(path)
    key = (path, st.st_mtime, st.st_size)
    if key not in _cache:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        _cache[key] = digest.hexdigest()[:24]
    return _cache[key]


class Renderer:
    """Holds what is costly to load (the library, voice models) across renders; thread-safe."""

    def __init__(self, settings: RenderSettings, library: Library | None = None):
        self.settings = settings
        self.library = library or load_library(settings.content_root)
        self.voices = VoiceBank(self.library.voices, settings.cache_dir / "voice")
        self._sources: dict[Path, FileCustomerSource] = {}
        self._lock = threading.Lock()
        self._segment_locks: dict[str, threading.Lock] = {}

    # ---- inputs -------------------------------------------------------------------------------

    def customer_source(self, path: Path) -> FileCustomerSource:
        path = path.resolve()
        with self._lock:
            if path not in self._sources:
                self._sources[path] = FileCustomerSource(path)
            return self._sources[path]

    def data_file_for(self, story_id: str, explicit: Path | None = None) -> Path:
        if explicit:
            return explicit
        story = self.library.story(story_id)
        if story.data:
            return self.library.path(story.data)
        if story.sample:
            return self.library.path(story.sample.data)
        raise DataSourceError(f"story '{story_id}' names no customer data file; pass --data")

    def record_for(self, request: RenderRequest) -> Mapping[str, Any]:
        if request.record is not None:
            return request.record
        return self.customer_source(self.data_file_for(request.story, request.data_file)).get(request.customer)

    def click_context(self, story_id: str, record: Mapping[str, Any], click: Mapping[str, Any]) -> dict[str, Any]:
        """Click context for templates: `click` itself, and `store` when the story looks one up."""
        context: dict[str, Any] = {"click": dict(click)}
        story = self.library.story(story_id)
        if story.stores is None:
            return context
        location = parse_location(click.get("location"))
        if location is None:
            from smartvideo.planner import build_context

            value = evaluate(story.stores.location, build_context(story, record, {}), story.where)
            location = parse_location(value)
        if location is None:
            raise DataSourceError(f"story '{story_id}' needs a location (click ?location=lat,lon or "
                                  f"the record field {story.stores.location})")
        stores = read_records(self.library.path(story.stores.data))
        context["store"] = nearest_store(stores, location)
        return context

    # ---- the pipeline ---------------------------------------------------------------------------

    def plan(self, request: RenderRequest, spoken: dict[tuple[str, str], Speech] | None = None) -> RenderPlan:
        record = self.record_for(request)
        spoken = {} if spoken is None else spoken

        def voice_length(text: str, profile: str) -> float:
            speech = self.voices.speak(text, profile)
            spoken[(text, profile)] = speech
            return speech.duration

        inputs = PlanInputs(story_id=request.story, record=record, device=device_profile(request.device),
                            variant=request.variant,
                            extra_context=self.click_context(request.story, record, request.click))
        return plan_video(self.library, inputs, voice_length, _file_hash)

    def _segment(self, plan: RenderPlan, index: int) -> tuple[Path, bool]:
        """The cached segment for scene `index`, encoding it when missing. Returns (path, reused)."""
        scene = plan.scenes[index]
        key = scene.visual_key(plan.device, f"{RENDERER_VERSION}:{self.settings.preset}")
        folder = self.settings.work_dir / "segments" if scene.personal else self.settings.cache_dir / "segments"
        path = folder / f"{key}.mp4"
        with self._lock:
            lock = self._segment_locks.setdefault(key, threading.Lock())
        with lock:  # two renders needing one new segment encode it once
            if path.exists():
                os.utime(path)  # recently used: the retention sweep keeps it
                return path, True
            if scene.personal and scene.background.kind == "video" and scene.background.path:
                # Encoded on every click: start from a background already at the device's size.
                plate = plate_for(scene.background.path, scene.background.file_hash or "", plan.device,
                                  self.settings.cache_dir)
                scene = dataclasses.replace(
                    scene, background=dataclasses.replace(scene.background, path=str(plate)))
            encode_scene(scene, plan.device, path, self.settings.preset)
            return path, False

    def render(self, request: RenderRequest, progress: Progress | None = None,
               on_scene_ready: SceneReady | None = None) -> RenderResult:
        """Render one video. `on_scene_ready(plan, index, segment, audio)` is called for each
        scene in order as soon as it and all before it are encoded (progressive delivery)."""
        report = progress or (lambda stage, done: None)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        report("plan", 0.0)
        spoken: dict[tuple[str, str], Speech] = {}
        plan = self.plan(request, spoken)
        timings["plan_and_voice"] = time.perf_counter() - t0

        t1 = time.perf_counter()
        reused = 0
        segments: list[Path] = []
        workers = max(1, min(self.settings.parallel, len(plan.scenes)))
        audio_pool = ThreadPoolExecutor(max_workers=1)
        # The audio track is mixed while the scenes encode; progressive delivery waits for it
        # only when the first scene is done, which takes longer anyway.
        audio_future = audio_pool.submit(self._audio, plan, spoken, request)
        try:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                # Personal scenes are the slow ones: start them first, hand scenes over in order.
                order = sorted(range(len(plan.scenes)), key=lambda i: (not plan.scenes[i].personal, i))
                futures = {i: pool.submit(self._segment, plan, i) for i in order}
                for index in range(len(plan.scenes)):
                    path, was_reused = futures[index].result()
                    segments.append(path)
                    reused += was_reused
                    if on_scene_ready:
                        on_scene_ready(plan, index, path, audio_future.result())
                    report("encode", (index + 1) / len(plan.scenes))
            audio = audio_future.result()
            timings["encode_and_audio"] = time.perf_counter() - t1

            t3 = time.perf_counter()
            report("assemble", 0.0)
            output = request.output
            join_segments(segments, audio, plan.duration, output)
        finally:
            audio_pool.shutdown(wait=True)
            if audio_future.done() and audio_future.exception() is None:
                audio_future.result().unlink(missing_ok=True)
        captions = output.with_suffix(".vtt")
        _write_atomic(captions, build_webvtt(caption_cues(plan)))
        manifest = output.with_suffix(".json")
        _write_atomic(manifest, json.dumps(manifest_of(plan), indent=2))
        timings["assemble"] = time.perf_counter() - t3
        timings["total"] = time.perf_counter() - t0
        report("done", 1.0)
        return RenderResult(video=output, captions=captions, manifest=manifest, plan=plan, timings=timings,
                            segments_encoded=len(plan.scenes) - reused, segments_reused=reused)

    def _audio(self, plan: RenderPlan, spoken: dict[tuple[str, str], Speech], request: RenderRequest) -> Path:
        lines = [(spoken[(s.voice.text, s.voice.profile)].path, s.start + s.voice.offset)
                 for s in plan.scenes if s.voice]
        with ThreadPoolExecutor(max_workers=2) as pool:
            mastered = list(pool.map(master_voice_line, [path for path, _ in lines]))
        voices = [PlacedVoice(str(m), start) for m, (_, start) in zip(mastered, lines, strict=True)]
        name = hashlib.sha256(f"{request.output.resolve()}{time.time_ns()}".encode()).hexdigest()[:16]
        target = self.settings.work_dir / "audio" / f"{name}.m4a"
        target.parent.mkdir(parents=True, exist_ok=True)
        return build_audio_track(voices, plan.music, plan.music_volume, plan.duration, target,
                                 self.settings.cache_dir)


def caption_cues(plan: RenderPlan) -> list[tuple[float, float, str]]:
    """(start, end, text) of every voice line, in video time."""
    return [(s.start + s.voice.offset, s.start + s.voice.offset + s.voice.duration, s.voice.text)
            for s in plan.scenes if s.voice]


def manifest_of(plan: RenderPlan) -> dict[str, Any]:
    """What analytics and the player need about a video, with no personal data."""
    return {
        "story": plan.story_id,
        "variant": plan.variant,
        "device": plan.device.name,
        "duration": plan.duration,
        "scenes": plan.scene_bounds(),
        "renderer": RENDERER_VERSION,
    }


def _write_atomic(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
