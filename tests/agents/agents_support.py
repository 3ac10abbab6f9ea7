"""Constants and helpers the agent tests share (`conftest` is not a unique module name)."""

from __future__ import annotations

import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MINI_ROOT = ROOT / "tests" / "fixtures" / "mini"
SECRET = "agents-test-secret-" + "x" * 32
PUBLIC_URL = "https://v.nova.example"
RATE = "5/minute"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
