"""The command line: mistakes are one clear line and exit 1, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def smartvideo(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "smartvideo.cli", "--root", str(ROOT), *args],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--story", "nope", "--customer", "C1001"], "unknown story 'nope'"),
        (["--story", "first_bill", "--customer", "C9999"], "no customer 'C9999'"),
        (["--story", "first_bill", "--customer", "C1001", "--device", "tv"], "unknown device 'tv'"),
        (["--story", "first_bill", "--customer", "C1001", "--variant", "Z"], "no variant 'Z'"),
        (["--story", "first_bill", "--customer", "C1001", "--data", "nope.csv"], "data file not found"),
    ],
)
def test_render_mistakes_are_clear(tmp_path, args, message):
    result = smartvideo("render", *args, "--out", str(tmp_path / "x.mp4"))
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.mp4").exists()


def test_empty_customer_field_names_record_and_field_in_one_line(tmp_path):
    data = tmp_path / "c.csv"
    data.write_text("id,customer.first_name,bill.total\nC5,,12\n")
    result = smartvideo("render", "--story", "first_bill", "--customer", "C5", "--data", str(data),
                        "--out", str(tmp_path / "x.mp4"))
    assert result.returncode == 1
    assert "error: customer C5: customer.first_name: expected name, got nothing" in result.stderr
    assert "Traceback" not in result.stderr
