"""Personal scenes encoded as pieces side by side: same frames, same keyframes as one process."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import av
import pytest

from smartvideo.bench.similarity import compare_videos
from smartvideo.render.background_plates import RAW_SUFFIX, plate_for, plate_frames
from smartvideo.render.devices import device_profile
from smartvideo.render.plan import Background, PlannedScene
from smartvideo.render.renderer import Renderer, RenderRequest
from smartvideo.render.scene_encoder import encode_scene, gop_frames, scene_pieces
from smartvideo.settings import RenderSettings
from tests.media_probe import probe

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
LITE = device_profile("lite")


def _scene(duration: float, background: Background) -> PlannedScene:
    return PlannedScene(index=0, id="s", start=0.0, duration=duration, background=background, layers=(),
                        voice=None, personal=True)


@pytest.mark.parametrize("seconds, workers, expected", [
    (10.0, 2, [range(0, 150), range(150, 250)]),  # 5 GOPs: 3 + 2
    (10.0, 1, [range(0, 250)]),
    (1.0, 2, [range(0, 25)]),  # shorter than a GOP: nothing to cut
    (4.04, 3, [range(0, 50), range(50, 100), range(100, 101)]),
])
def test_pieces_are_whole_gops_covering_every_frame(seconds, workers, expected):
    assert scene_pieces(_scene(seconds, Background(kind="color", colors=("#000000",))), LITE, workers) == expected


def test_a_video_that_does_not_loop_is_never_cut():
    still_end = Background(kind="video", path="clip.mp4", loop=False)
    assert len(scene_pieces(_scene(10.0, still_end), LITE, 4)) == 1


def _keyframes(path: Path) -> list[int]:
    with av.open(str(path)) as container:
        return [n for n, frame in enumerate(container.decode(video=0)) if frame.key_frame]


@pytest.mark.slow
def test_pieces_match_one_process_frame_for_frame(tmp_path):
    cache = tmp_path / "cache"
    renderer = Renderer(RenderSettings(content_root=MINI, cache_dir=cache, work_dir=cache / "personal"))
    plan = renderer.plan(RenderRequest(story="mini", customer="C1001", output=tmp_path / "x.mp4", device="lite",
                                       variant="A"))
    personal = next(s for s in plan.scenes if s.personal)
    source = MINI / "assets" / "backgrounds" / "navy_waves.mp4"  # 8 s: the second piece wraps around
    plate = plate_for(str(source), "navy", LITE, cache)
    scene = dataclasses.replace(personal, duration=10.0,
                                background=Background(kind="video", path=str(plate), loop=True))
    assert len(scene_pieces(scene, LITE, 2)) == 2
    whole = encode_scene(scene, LITE, tmp_path / "whole.mp4", workers=1)
    pieces = encode_scene(scene, LITE, tmp_path / "pieces.mp4", workers=2)

    info = probe(pieces)
    assert (info.video_codec, info.profile, info.pix_fmt) == ("h264", "High", "yuv420p")
    assert info.frames == probe(whole).frames == 250
    assert len(info.frame_durations) == 1  # constant frame rate across the join
    assert _keyframes(pieces) == _keyframes(whole) == list(range(0, 250, gop_frames(LITE)))
    similarity = compare_videos(pieces, whole)
    assert similarity.ssim > 0.99 and similarity.psnr_db > 40  # one frame off would score far lower


@pytest.mark.slow
def test_a_reused_plate_is_read_as_raw_frames_and_gives_the_same_bytes(tmp_path):
    cache = tmp_path / "cache"
    source = str(MINI / "assets" / "backgrounds" / "navy_waves.mp4")
    first = plate_for(source, "navy", LITE, cache, raw=True)
    assert first.suffix == ".mp4" and not first.with_suffix(RAW_SUFFIX).exists()  # used once: no raw frames
    raw = plate_for(source, "navy", LITE, cache, raw=True)
    assert raw == first.with_suffix(RAW_SUFFIX)
    assert raw.stat().st_size == plate_frames(str(first), LITE.fps) * LITE.width * LITE.height * 3 // 2

    def on(plate: Path) -> PlannedScene:  # 10 s on an 8 s plate: the second piece starts mid-plate and wraps
        return _scene(10.0, Background(kind="video", path=str(plate), loop=True))

    decoded = encode_scene(on(first), LITE, tmp_path / "decoded.mp4", workers=2)
    read = encode_scene(on(raw), LITE, tmp_path / "raw.mp4", workers=2)
    assert read.read_bytes() == decoded.read_bytes()
