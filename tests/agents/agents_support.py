"""Constants and helpers the agent tests share (`conftest` is not a unique module name)."""

from __future__ import annotations

import csv
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MINI_ROOT = ROOT / "tests" / "fixtures" / "mini"
SECRET = "agents-test-secret-" + "x" * 32
PUBLIC_URL = "https://v.nova.example"
RATE = "5/minute"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


class Served:
    """A WSGI app behind a real server (waitress) on a loopback port, in a thread."""

    def __init__(self, application: object):
        import threading

        from waitress.server import create_server

        self.port = free_port()
        self.server = create_server(application, host="127.0.0.1", port=self.port, threads=4)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Served:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.close()
