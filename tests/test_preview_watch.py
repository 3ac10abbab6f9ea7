"""`smartvideo preview --watch` redraws after a save; contact-sheet tiles say what they show."""

import threading
import time

from test_validation import copy_content, edit

from smartvideo.cli import _write_preview, build_parser
from smartvideo.commands.preview_watch import watch_and_redraw
from smartvideo.render.plan import Background, PlannedScene
from smartvideo.render.preview import tile_label


def wait_for(lines: list[str], count: int, seconds: float = 90.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        drawn = [line for line in lines if line.startswith("drew ")]
        if len(drawn) >= count:
            return drawn
        time.sleep(0.05)
    raise AssertionError(f"no redraw: {lines}")


def test_watch_redraws_after_a_save_and_reports_mistakes(tmp_path, cache_dir):
    root = copy_content(tmp_path / "content")
    out = root / "preview.png"  # inside the watched folder: writing it must not trigger a redraw
    args = build_parser().parse_args(["--root", str(root), "--cache", str(cache_dir), "preview",
                                      "--story", "rekening_nl", "--out", str(out)])
    lines: list[str] = []
    stop = threading.Event()
    watcher = threading.Thread(target=watch_and_redraw,
                               args=(root, lambda: _write_preview(args), out, stop, lines.append))
    watcher.start()
    try:
        wait_for(lines, 1)
        first = out.read_bytes()
        time.sleep(0.3)
        assert len([line for line in lines if line.startswith("drew ")]) == 1  # its own output is ignored
        edit(root / "scenes" / "rekening_intro.yaml", "style: headline", "style: headlin")
        deadline = time.monotonic() + 60
        while not any("did you mean 'headline'" in line for line in lines) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any("did you mean 'headline'" in line for line in lines), lines
        edit(root / "scenes" / "rekening_intro.yaml", "style: headlin", "style: body")
        drawn = wait_for(lines, 2)
        assert "rekening_intro.yaml changed" in drawn[1]
        assert out.read_bytes() != first
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert not watcher.is_alive()


def test_tiles_are_labelled_with_scene_duration_and_variant():
    scene = PlannedScene(id="bill_total", index=1, start=4.0, duration=6.24,
                         background=Background("color", ("#000000",)), layers=(), voice=None, personal=True)
    assert tile_label(scene, "B") == "2. bill_total  ·  6.2 s  ·  variant B"
