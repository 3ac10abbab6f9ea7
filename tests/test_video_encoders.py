"""The encoder choice: h264_nvenc where a GPU can run it, else x264, with the same output guarantees."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartvideo.errors import RenderError
from smartvideo.render.devices import device_profile
from smartvideo.render.renderer import Renderer, RenderRequest
from smartvideo.render.scene_encoder import encoder_options, gop_frames
from smartvideo.render.video_encoders import NVENC, X264, choose_video_encoder, nvenc_works
from smartvideo.settings import RenderSettings
from tests.media_probe import probe, top_level_boxes

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"


@pytest.mark.parametrize("encoder", [X264, NVENC])
def test_both_encoders_promise_high_yuv420p_cfr_and_a_fixed_gop(encoder):
    device = device_profile("landscape")
    options = encoder_options(device, encoder=encoder)
    assert options["vcodec"] == encoder
    assert (options["profile:v"], options["pix_fmt"], options["fps_mode"]) == ("high", "yuv420p", "cfr")
    assert options["g"] == gop_frames(device)


def test_unknown_encoder_is_refused():
    with pytest.raises(RenderError, match="unknown video encoder"):
        choose_video_encoder("h265_magic")


def test_auto_takes_nvenc_exactly_when_it_works():
    assert choose_video_encoder("auto") == (NVENC if nvenc_works() else X264)


@pytest.mark.slow
@pytest.mark.skipif(not nvenc_works(), reason="no NVIDIA GPU with a working h264_nvenc on this machine")
def test_gpu_render_keeps_the_output_guarantees(tmp_path):
    cache = tmp_path / "cache"
    renderer = Renderer(RenderSettings(content_root=MINI, cache_dir=cache, work_dir=cache / "personal",
                                       video_encoder=NVENC))
    result = renderer.render(RenderRequest(story="mini", customer="C1001", output=tmp_path / "gpu.mp4",
                                           device="lite", variant="A"))
    info = probe(result.video)
    assert (info.video_codec, info.profile, info.pix_fmt) == ("h264", "High", "yuv420p")
    assert len(info.frame_durations) == 1
    assert info.audio_codec == "aac" and info.audio_duration is not None
    assert abs(info.audio_duration - info.video_duration) <= 0.05
    assert top_level_boxes(result.video).index("moov") < top_level_boxes(result.video).index("mdat")
