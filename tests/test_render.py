"""Real renders with the real ffmpeg, checked by decoding (few, short, marked slow)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from smartvideo.ffmpeg_exec import FfmpegRun, watch_ffmpeg
from smartvideo.render.renderer import Renderer, RenderRequest
from smartvideo.settings import RenderSettings
from tests.media_probe import integrated_loudness, probe, top_level_boxes

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def renderer(tmp_path_factory: pytest.TempPathFactory) -> Renderer:
    cache = tmp_path_factory.mktemp("render-cache")
    return Renderer(RenderSettings(content_root=MINI, cache_dir=cache, work_dir=cache / "personal"))


@pytest.fixture(scope="module")
def first(renderer: Renderer, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("out") / "anna.mp4"
    return renderer.render(RenderRequest(story="mini", customer="C1001", output=out, device="lite", variant="A"))


def test_output_is_h264_high_yuv420p_aac_constant_frame_rate(first):
    info = probe(first.video)
    assert (info.video_codec, info.profile, info.pix_fmt) == ("h264", "High", "yuv420p")
    assert (info.width, info.height, info.fps) == (854, 480, 25.0)
    assert len(info.frame_durations) == 1, "constant frame rate"
    assert (info.audio_codec, info.audio_rate, info.audio_channels) == ("aac", 48000, 2)


def test_faststart_puts_the_index_first(first):
    boxes = top_level_boxes(first.video)
    assert boxes.index("moov") < boxes.index("mdat")


def test_durations_match_the_plan_and_audio_matches_video(first):
    info = probe(first.video)
    assert info.frames == round(first.plan.duration * 25)
    assert abs(info.audio_duration - info.video_duration) <= 0.05


def test_loudness_is_normalised(first):
    assert integrated_loudness(first.video) == pytest.approx(-16, abs=1.5)


def test_captions_follow_the_voice_lines(first):
    vtt = first.captions.read_text()
    assert vtt.startswith("WEBVTT")
    assert "Hello from Nova." in vtt
    assert "You pay 135 euros and 20 cents." in vtt
    assert "{{" not in vtt and "None" not in vtt


def test_no_partial_files_are_left(first):
    leftovers = [p for p in first.video.parent.iterdir() if ".partial" in p.name]
    assert leftovers == []


def test_second_customer_reencodes_only_the_personal_scene(renderer, first, tmp_path):
    assert first.segments_encoded == 2
    second = renderer.render(RenderRequest(story="mini", customer="C1004", output=tmp_path / "sam.mp4",
                                           device="lite", variant="A"))
    assert (second.segments_reused, second.segments_encoded) == (1, 1)
    assert probe(second.video).frames == round(second.plan.duration * 25)


def test_a_click_reports_what_its_ffmpeg_processes_and_new_voice_lines_cost(renderer, first, tmp_path):
    heard: list[FfmpegRun] = []
    request = RenderRequest(story="mini", customer="C1002", output=tmp_path / "c.mp4", device="lite", variant="A")
    with watch_ffmpeg(heard.append):
        result = renderer.render(request)
    kinds = {run.what.split(" '")[0] for run in heard}
    assert {"scene", "audio track", "joining scenes"} <= kinds
    assert all(run.cpu_s >= 0 and run.wall_s > 0 for run in heard)
    assert sum(run.cpu_s for run in heard if run.what.startswith("scene")) > 0
    assert result.voice_cpu_s > 0  # the customer's own line was spoken for this click
    again = renderer.render(dataclasses.replace(request, output=tmp_path / "again.mp4"))
    assert again.voice_cpu_s == 0  # every line from the cache


def test_a_variant_text_change_is_a_new_segment(renderer, first, tmp_path):
    other = renderer.render(RenderRequest(story="mini", customer="C1001", output=tmp_path / "b.mp4",
                                          device="lite", variant="B"))
    assert other.segments_encoded >= 1
    assert other.plan.scenes[0].layers[1].text == "Your bill, made simple"


def test_portrait_render_has_portrait_frames(renderer, tmp_path):
    result = renderer.render(RenderRequest(story="mini", customer="C1001", output=tmp_path / "p.mp4",
                                           device="portrait", variant="A"))
    info = probe(result.video)
    assert (info.width, info.height) == (720, 1280)
