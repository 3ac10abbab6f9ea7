"""Running ffmpeg: clean errors, a time limit, and each process's own CPU time for listeners."""

from __future__ import annotations

import pytest

from smartvideo.bench.render import cpu_split
from smartvideo.errors import RenderError
from smartvideo.ffmpeg_exec import FfmpegRun, ffmpeg_stderr, run_ffmpeg, watch_ffmpeg


def test_a_listener_hears_each_process_with_its_own_cpu_time(tmp_path):
    heard: list[FfmpegRun] = []
    with watch_ffmpeg(heard.append):
        run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=2", "-c:v", "libx264", "-preset", "medium",
                    "-f", "mp4", str(tmp_path / "a.mp4")], "a test encode")
        returncode, stderr = ffmpeg_stderr(["-hide_banner", "-f", "lavfi", "-i", "anullsrc=d=0.1", "-f", "null", "-"],
                                           "a short run")
    run_ffmpeg(["-f", "lavfi", "-i", "anullsrc=d=0.1", "-f", "null", "-"], "after the listener left")
    assert [run.what for run in heard] == ["a test encode", "a short run"]
    assert heard[0].cpu_s > 0.05 and heard[0].cpu_s > heard[1].cpu_s  # 50 frames of x264 medium cost CPU
    assert heard[0].wall_s > 0
    assert returncode == 0 and "anullsrc" in stderr


def test_a_failing_run_names_what_it_was_and_ffmpeg_s_reason(tmp_path):
    with pytest.raises(RenderError, match=r"joining things: ffmpeg failed \(exit \d+\):.*No such file"):
        run_ffmpeg(["-i", str(tmp_path / "missing.mp4"), "-f", "null", "-"], "joining things")


def test_a_run_past_its_time_limit_is_stopped_with_a_clear_error():
    with pytest.raises(RenderError, match="a long run: ffmpeg took longer than 1 s"):
        run_ffmpeg(["-re", "-f", "lavfi", "-i", "anullsrc", "-f", "null", "-"], "a long run", timeout=1)


def test_a_click_s_cpu_is_split_by_what_each_process_did():
    runs = [FfmpegRun("scene 'bill_total' (part 1)", 1.0, 1.0), FfmpegRun("scene 'bill_total' (part 2)", 0.5, 1.0),
            FfmpegRun("audio track", 0.25, 0.3)]
    split = cpu_split(3.0, runs, voice_cpu_s=0.75)
    assert split == {"ffmpeg: scene": 1.5, "ffmpeg: audio track": 0.25, "voice": 0.75, "python, rest": 0.5}
