"""Retention (`smartvideo cleanup`), and the `link` command."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from smartvideo.cli import main
from smartvideo.config import load_config
from smartvideo.jobs.retention import sweep


def _age(path: Path, days: float) -> None:
    old = time.time() - days * 86400
    os.utime(path, (old, old))


def _files(config) -> dict[str, Path]:  # noqa: ANN001
    old_video = config.videos_dir / "oldlink.lite" / "video.mp4"
    new_video = config.videos_dir / "newlink.lite" / "video.mp4"
    old_hls = config.videos_dir / "oldlink.lite" / "hls" / "s000.ts"
    personal = config.render_settings().work_dir / "segments" / "personal.mp4"
    static = Path(config.cache_dir) / "segments" / "static.mp4"
    voice = Path(config.cache_dir) / "voice" / "old-line.wav"
    for path in (old_video, new_video, old_hls, personal, static, voice):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    for path in (old_video, old_hls, personal, static, voice):
        _age(path, 40)
    return {"old_video": old_video, "new_video": new_video, "old_hls": old_hls, "personal": personal,
            "static": static, "voice": voice}


def test_sweep_deletes_old_videos_and_personal_segments_and_keeps_static_ones(tmp_path, web_config) -> None:  # noqa: ANN001
    config = load_config(overrides={**web_config, "retention_days": 30, "cache_dir": tmp_path / "cache"})
    files = _files(config)
    result = sweep(config)
    assert result.videos == 1 and result.personal_files == 2
    assert not files["old_video"].exists() and not files["old_hls"].exists() and not files["personal"].exists()
    assert not files["voice"].exists()  # voice lines may speak personal data
    assert files["new_video"].exists() and files["static"].exists()


def test_cleanup_command_uses_the_configured_retention(tmp_path, web_config, monkeypatch, capsys) -> None:  # noqa: ANN001
    for name, value in {**web_config, "cache_dir": tmp_path / "cache"}.items():
        monkeypatch.setenv(f"SMARTVIDEO_{name.upper()}", str(value))
    monkeypatch.setenv("SMARTVIDEO_RETENTION_DAYS", "60")
    files = _files(load_config())
    assert main(["cleanup"]) == 0
    assert json.loads(capsys.readouterr().out)["videos"] == 0 and files["old_video"].exists()
    assert main(["cleanup", "--days", "30"]) == 0
    assert json.loads(capsys.readouterr().out) == {"retention_days": 30.0, "videos": 1, "personal_files": 2,
                                                   "partial_files": 0}


def test_link_command_prints_a_working_opaque_link(web_config, monkeypatch, capsys) -> None:  # noqa: ANN001
    for name, value in web_config.items():
        monkeypatch.setenv(f"SMARTVIDEO_{name.upper()}", str(value))
    monkeypatch.setenv("SMARTVIDEO_PUBLIC_URL", "https://video.example")
    assert main(["link", "--story", "tiny", "--customer", "T1", "--ttl", "2h"]) == 0
    url = capsys.readouterr().out.strip()
    assert url.startswith("https://video.example/v/") and "T1" not in url
    from smartvideo.web.app_factory import create_app

    app = create_app(web_config)
    null_runner = type("Null", (), {"submit": lambda s, j: None, "ping": lambda s: True})()
    app.extensions["smartvideo"].renders._runner = null_runner  # noqa: SLF001
    assert app.test_client().get(url.removeprefix("https://video.example") + "?device=lite").status_code == 200


@pytest.mark.parametrize("args, message", [
    (["link", "--story", "nope", "--customer", "T1"], "nope"),
    (["link", "--story", "tiny", "--customer", "T1", "--ttl", "soon"], "7d"),
])
def test_link_command_refuses_bad_input_with_one_line(web_config, monkeypatch, capsys, args, message) -> None:  # noqa: ANN001
    for name, value in web_config.items():
        monkeypatch.setenv(f"SMARTVIDEO_{name.upper()}", str(value))
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and message in err and "Traceback" not in err
