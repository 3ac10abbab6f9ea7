"""The one render path: CLI, embedded server and Celery worker all call `Renderer.render`.

Load -> plan (pure) -> voice (cached per line) -> encode scenes (cached per scene content) ->
one audio track -> join by stream copy. Outputs appear only complete (temporary name + rename).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import queue
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from smartvideo import RENDERER_VERSION
from smartvideo.atomic_files import write_atomic
from smartvideo.data_sources import FileCustomerSource, nearest_store, parse_location, read_records
from smartvideo.errors import DataSourceError
from smartvideo.render.audio_track import (
    MusicBed,
    PlacedVoice,
    build_audio_track,
    join_segments,
    mastered_path,
    placed_voice_line,
    voice_line_gain,
)
from smartvideo.render.background_plates import plate_for
from smartvideo.render.captions import build_webvtt
from smartvideo.render.devices import device_profile
from smartvideo.render.interactive import player_extras
from smartvideo.render.plan import DeviceProfile, PlannedScene, RenderPlan
from smartvideo.render.planner import PlanInputs, StoryPlanner, build_context, story_record
from smartvideo.render.scene_encoder import encode_scene
from smartvideo.render.scene_loader import Library, load_library
from smartvideo.render.templating import evaluate
from smartvideo.render.video_encoders import X264, choose_video_encoder
from smartvideo.render.voice import Speech, VoiceBank
from smartvideo.settings import RenderSettings

Progress = Callable[[str, float], None]  # (stage, fraction done 0..1)


@dataclass(frozen=True, slots=True)
class PlanFacts:
    """What a render is, known before its video is: reported first without the timing (as soon as
    the planner has picked the variant and scenes), then again with it (once every scene is timed,
    usually long before the last segment is encoded)."""

    variant: str
    device: str
    story_version: str
    duration: float | None = None
    scenes: tuple[dict[str, float | str], ...] | None = None


PlanListener = Callable[[PlanFacts], None]


class SceneSink(Protocol):
    """Receives a render's scenes as they are made (progressive delivery, e.g. HLS)."""

    def scene_ready(self, scene: PlannedScene, segment: Path, audio: Path) -> None:
        """Scene `scene.index` is encoded: its video segment and its slice of the soundtrack."""

    def finished(self, plan: RenderPlan) -> None:
        """Every scene has been handed over; the MP4 is complete."""


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
    voice_cpu_s: float = 0.0  # CPU-seconds spent speaking this render's new lines


def _file_hash(path: str) -> str:
    """Content hash of an asset file, computed once per version of the file (size, mtime)."""
    st = os.stat(path)
    return _hash_of_version(path, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=4096)
def _hash_of_version(path: str, mtime_ns: int, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:24]


class Renderer:
    """Holds what is costly to load (the library, voice models) across renders; thread-safe."""

    def __init__(self, settings: RenderSettings, library: Library | None = None):
        self.settings = settings
        self.library = library or load_library(settings.content_root)
        self.voices = VoiceBank(self.library.voices, settings.cache_dir / "voice")
        self._sources: dict[Path, FileCustomerSource] = {}
        self._lock = threading.Lock()
        self._segment_locks: dict[str, threading.Lock] = {}
        self.video_encoder = choose_video_encoder(settings.video_encoder)  # probed once per process
        self._active = 0  # renders under way in this renderer

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
        data = self.library.story(story_id).customer_data
        if data:
            return self.library.path(data)
        raise DataSourceError(f"story '{story_id}' names no customer data file; pass --data")

    def record_for(self, request: RenderRequest) -> Mapping[str, Any]:
        """The customer's record read by the story's contract; RecordRejected names a field that breaks it."""
        if request.record is not None:
            raw = request.record
        else:
            raw = self.customer_source(self.data_file_for(request.story, request.data_file)).get(request.customer)
        return story_record(self.library.story(request.story), raw)

    def click_context(self, story_id: str, record: Mapping[str, Any], click: Mapping[str, Any]) -> dict[str, Any]:
        """Click context for templates: `click` itself, and `store` when the story looks one up."""
        return click_context(self.library, story_id, record, click)

    # ---- the pipeline ---------------------------------------------------------------------------

    def planner(self, request: RenderRequest, spoken: dict[tuple[str, str], Speech],
                speaking: Mapping[tuple[str, str], Future[Speech]] | None = None) -> StoryPlanner:
        """A planner for the request; it speaks each voice line (cached) when its scene is timed,
        or waits for the line in `speaking` (filled in later: lines spoken ahead, see speak_ahead)."""
        record = self.record_for(request)
        ahead = {} if speaking is None else speaking

        def voice_length(text: str, profile: str) -> float:
            future = ahead.get((text, profile))
            speech = future.result() if future else self.voices.speak(text, profile)
            spoken[(text, profile)] = speech
            return speech.duration

        inputs = PlanInputs(story_id=request.story, record=record, device=device_profile(request.device),
                            variant=request.variant,
                            extra_context=self.click_context(request.story, record, request.click))
        return StoryPlanner(self.library, inputs, voice_length, _file_hash)

    def speak_ahead(self, planner: StoryPlanner, pool: ThreadPoolExecutor) -> dict[tuple[str, str], Future[Speech]]:
        """Every line of the video started at once, in scene order (cached ones come back at once);
        a new line is measured for mastering as soon as it is spoken, while scenes encode."""
        return {line: pool.submit(self._speak_and_measure, *line) for line in planner.voice_lines()}

    def _speak_and_measure(self, text: str, profile: str) -> Speech:
        speech = self.voices.speak(text, profile)
        if not mastered_path(speech.path).exists():
            voice_line_gain(speech.path)
        return speech

    def plan(self, request: RenderRequest, spoken: dict[tuple[str, str], Speech] | None = None) -> RenderPlan:
        """The whole plan at once (previews, benchmarks)."""
        speaking: dict[tuple[str, str], Future[Speech]] = {}
        planner = self.planner(request, {} if spoken is None else spoken, speaking)
        with ThreadPoolExecutor(max_workers=self.settings.parallel, thread_name_prefix="voice") as voices:
            speaking.update(self.speak_ahead(planner, voices))
            return planner.plan(list(planner.scenes()))

    def _segment(self, scene: PlannedScene, device: DeviceProfile) -> tuple[Path, bool]:
        """The cached segment for a scene, encoding it when missing. Returns (path, reused)."""
        version = f"{RENDERER_VERSION}:{self.settings.preset}"
        if self.video_encoder != X264:  # x264's keys stay as they were
            version += f":{self.video_encoder}"
        key = scene.visual_key(device, version)
        folder = self.settings.work_dir / "segments" if scene.personal else self.settings.cache_dir / "segments"
        path = folder / f"{key}.mp4"
        with self._lock:
            lock = self._segment_locks.setdefault(key, threading.Lock())
        with lock:  # two renders needing one new segment encode it once
            if path.exists():
                os.utime(path)  # recently used: the retention sweep keeps it
                return path, True
            if scene.personal:
                return self.encode_personal(scene, device, path), False
            encode_scene(scene, device, path, self.settings.preset, encoder=self.video_encoder)
            return path, False

    def on_plate(self, scene: PlannedScene, device: DeviceProfile, raw: bool = True) -> PlannedScene:
        """`scene` with its video background swapped for the plate at the device's size (made once),
        by default its raw frames once the plate is used again (background_plates)."""
        if scene.background.kind != "video" or not scene.background.path:
            return scene
        plate = plate_for(scene.background.path, scene.background.file_hash or "", device, self.settings.cache_dir,
                          raw=raw)
        return dataclasses.replace(scene, background=dataclasses.replace(scene.background, path=str(plate)))

    def encode_personal(self, scene: PlannedScene, device: DeviceProfile, path: Path) -> Path:
        """Encode a scene the way every click does: on its plate, cut into pieces encoded side by
        side (scene_encoder), with the GPU encoder where there is one."""
        # Pieces cost about a tenth more CPU than one process: worth it while one render leaves
        # cores idle, not when several renders (a campaign) already keep every core busy.
        with self._lock:
            workers = max(1, self.settings.parallel // max(1, self._active))
        return encode_scene(self.on_plate(scene, device), device, path, self.settings.preset, workers,
                            self.video_encoder)

    def render(self, request: RenderRequest, progress: Progress | None = None,
               scene_sink: SceneSink | None = None, plan_listener: PlanListener | None = None) -> RenderResult:
        """Render one video (see _render); counts the renders under way, which share the cores."""
        with self._lock:
            self._active += 1
        try:
            return self._render(request, progress, scene_sink, plan_listener)
        finally:
            with self._lock:
                self._active -= 1

    def _render(self, request: RenderRequest, progress: Progress | None,
                scene_sink: SceneSink | None, plan_listener: PlanListener | None) -> RenderResult:
        """Render one video.

        Scenes are timed one by one (each voice line spoken when its scene comes up) and each is
        encoded as soon as it is timed, so scene 1 is ready while later lines are still spoken.
        A `scene_sink` gets every scene in order with its own audio slice the moment it is
        encoded (progressive delivery), then the whole plan when the MP4 is done. A `plan_listener`
        hears what the render is (variant, device, story version; then its scene timing) before
        the video exists, so views of a progressive stream are attributed correctly.
        """
        report = progress or (lambda stage, done: None)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        report("plan", 0.0)
        spoken: dict[tuple[str, str], Speech] = {}
        speaking: dict[tuple[str, str], Future[Speech]] = {}
        planner = self.planner(request, spoken, speaking)  # every text resolved here: data errors come first
        device = planner.inputs.device
        facts = PlanFacts(planner.variant_name, device.name, planner.story_version)
        if plan_listener:
            plan_listener(facts)
        music = str(self.library.path(planner.story.music)) if planner.story.music else None
        total_scenes = len(planner.selected)
        scenes: list[PlannedScene | None] = [None] * total_scenes
        futures: list[Future[tuple[Path, bool]] | None] = [None] * total_scenes
        handover: queue.Queue[int | None] = queue.Queue()
        delivered: list[tuple[Path, bool]] = []
        failure: list[BaseException] = []

        def deliver() -> None:
            # Hands scenes over in order as their segments finish, while planning goes on.
            try:
                while (index := handover.get()) is not None:
                    future, scene = futures[index], scenes[index]
                    assert future is not None and scene is not None
                    path, reused = future.result()
                    delivered.append((path, reused))
                    if scene_sink:
                        slice_ = self._scene_audio(scene, spoken, music, planner.story.music_volume, request)
                        try:
                            scene_sink.scene_ready(scene, path, slice_)
                        finally:
                            slice_.unlink(missing_ok=True)
                    report("encode", len(delivered) / total_scenes)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the render thread
                failure.append(exc)

        workers = max(1, min(self.settings.parallel, total_scenes))
        lines = planner.voice_lines()
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scene") as pool, \
                ThreadPoolExecutor(max_workers=max(1, min(self.settings.parallel, len(lines))),
                                   thread_name_prefix="voice") as voices:
            # Every line is spoken at once, side by side, and each scene is timed and its encode
            # started the moment its own line is ready, also before the scenes ahead of it (a
            # scene's pixels do not depend on its start); scenes are handed over in order.
            speaking.update(self.speak_ahead(planner, voices))
            courier = threading.Thread(target=deliver, name="scene-handover", daemon=True)
            courier.start()
            try:
                clock, handed = 0.0, 0
                for index in self._in_speaking_order(planner, speaking):
                    timed = planner.scene(index, 0.0)  # its start is set below, in order
                    scenes[index] = timed
                    futures[index] = pool.submit(self._segment, timed, device)
                    while handed < total_scenes and (ready := scenes[handed]) is not None:
                        scenes[handed] = dataclasses.replace(ready, start=round(clock, 6))
                        clock += ready.duration
                        handover.put(handed)
                        handed += 1
                    if failure:
                        break
                plan = planner.plan([scene for scene in scenes if scene is not None])
                if plan_listener and not failure:
                    plan_listener(dataclasses.replace(facts, duration=plan.duration,
                                                      scenes=tuple(plan.scene_bounds())))
                timings["plan_and_voice"] = time.perf_counter() - t0
                audio = self._audio(plan, spoken, request) if not failure else None
            finally:
                handover.put(None)
                courier.join()
        if failure:
            raise failure[0]
        assert audio is not None
        timings["encode_and_audio"] = time.perf_counter() - t0 - timings["plan_and_voice"]
        t3 = time.perf_counter()
        report("assemble", 0.0)
        output = request.output
        try:
            join_segments([path for path, _ in delivered], audio, plan.duration, output)
        finally:
            audio.unlink(missing_ok=True)
        captions = output.with_suffix(".vtt")
        write_atomic(captions, build_webvtt(caption_cues(plan)))
        manifest = output.with_suffix(".json")
        write_atomic(manifest, json.dumps(manifest_of(plan), indent=2))
        write_atomic(player_file(output), json.dumps(player_extras(plan)))
        if scene_sink:
            scene_sink.finished(plan)
        timings["assemble"] = time.perf_counter() - t3
        timings["total"] = time.perf_counter() - t0
        report("done", 1.0)
        reused = sum(was_reused for _, was_reused in delivered)
        return RenderResult(video=output, captions=captions, manifest=manifest, plan=plan, timings=timings,
                            segments_encoded=len(plan.scenes) - reused, segments_reused=reused,
                            voice_cpu_s=sum(speech.cpu_s for speech in spoken.values()))

    @staticmethod
    def _in_speaking_order(planner: StoryPlanner, speaking: Mapping[tuple[str, str], Future[Speech]]) -> Iterator[int]:
        """Scene indexes as their lines are ready: scenes without a line (or with a cached one) first."""
        waiting: dict[int, Future[Speech]] = {}
        for index, (_, text) in enumerate(planner.selected):
            future = speaking.get((text, planner.voice_profile)) if text else None
            if future is None or future.done():
                yield index
            else:
                waiting[index] = future
        while waiting:
            wait(set(waiting.values()), return_when=FIRST_COMPLETED)
            for index in [i for i, future in waiting.items() if future.done()]:
                del waiting[index]
                yield index

    def _work_file(self, request: RenderRequest, suffix: str) -> Path:
        name = hashlib.sha256(f"{request.output.resolve()}{time.time_ns()}{suffix}".encode()).hexdigest()[:16]
        return self.settings.work_dir / "audio" / f"{name}{suffix}"

    def _placed_voice(self, scene: PlannedScene, spoken: dict[tuple[str, str], Speech],
                      start: float) -> PlacedVoice | None:
        """The scene's line, mastered, at `start` in the mix; a personal scene's line is mastered
        in the mix itself (audio_track.placed_voice_line)."""
        if scene.voice is None:
            return None
        path = spoken[(scene.voice.text, scene.voice.profile)].path
        return placed_voice_line(path, start + scene.voice.offset, keep=not scene.personal)

    def _scene_audio(self, scene: PlannedScene, spoken: dict[tuple[str, str], Speech], music: str | None,
                     volume: float, request: RenderRequest) -> Path:
        """This scene's own slice of the soundtrack (its voice line over its stretch of the music).

        A scene without personal data has the same slice for every customer: it is mixed once and
        kept in the cache, so the first scene of a click is on its way without an audio encode.
        """
        line = self._placed_voice(scene, spoken, 0.0)
        voices = [line] if line else []
        bed = MusicBed(music, volume, start=scene.start, fade_in=scene.index == 0, fade_out=False) if music else None
        output = self._work_file(request, f".s{scene.index}.m4a")
        if scene.personal:
            return build_audio_track(voices, scene.duration, output, bed, self.settings.cache_dir)
        files = [voice.path for voice in voices] + ([music] if music else [])
        inputs = [(path, os.stat(path).st_size, os.stat(path).st_mtime_ns) for path in files]
        key = hashlib.sha256(repr((RENDERER_VERSION, voices, bed, scene.duration, inputs)).encode()).hexdigest()[:32]
        cached = self.settings.cache_dir / "scene_audio" / f"{key}.m4a"
        if not cached.exists():
            cached.parent.mkdir(parents=True, exist_ok=True)
            build_audio_track(voices, scene.duration, cached, bed, self.settings.cache_dir)
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached, output)  # the caller deletes its slice after use
        return output

    def _audio(self, plan: RenderPlan, spoken: dict[tuple[str, str], Speech], request: RenderRequest) -> Path:
        """The soundtrack of the whole video, mixed once (no joins in the audio)."""
        with ThreadPoolExecutor(max_workers=2) as pool:
            placed = list(pool.map(lambda s: self._placed_voice(s, spoken, s.start), plan.scenes))
        voices = [line for line in placed if line]
        bed = MusicBed(plan.music, plan.music_volume) if plan.music else None
        return build_audio_track(voices, plan.duration, self._work_file(request, ".m4a"), bed,
                                 self.settings.cache_dir)


def click_context(library: Library, story_id: str, record: Mapping[str, Any],
                  click: Mapping[str, Any]) -> dict[str, Any]:
    """`click` itself, and the `store` nearest to the click's location (else the record's) when the
    story looks one up. Shared by rendering and `validate`."""
    context: dict[str, Any] = {"click": dict(click)}
    story = library.story(story_id)
    if story.stores is None:
        return context
    location = parse_location(click.get("location"))
    if location is None:
        value = evaluate(story.stores.location, build_context(story, record, {}), story.where)
        location = parse_location(value)
    if location is None:
        raise DataSourceError(f"story '{story_id}' needs a location (click ?location=lat,lon or "
                              f"the record field {story.stores.location})")
    context["store"] = nearest_store(read_records(library.path(story.stores.data)), location)
    return context


def caption_cues(plan: RenderPlan) -> list[tuple[float, float, str]]:
    """(start, end, text) of every voice line, in video time."""
    return [(s.start + s.voice.offset, s.start + s.voice.offset + s.voice.duration, s.voice.text)
            for s in plan.scenes if s.voice]


def player_file(video: Path) -> Path:
    """The player's side file next to a video: chapters and the call to action (interactive.py)."""
    return video.with_suffix(".player.json")


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


