"""A WSGI app behind a real server on a loopback port, for tests that talk HTTP to it (browsers,
urllib, load): one helper for every test folder (tests/ is on sys.path through its conftest)."""

from __future__ import annotations

import socket
import threading
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServedApp:
    """The app behind waitress (the server `smartvideo serve` runs) on a loopback port, in a thread."""

    def __init__(self, application: Any, threads: int = 8):
        from waitress.server import create_server

        self.port = free_port()
        self.server = create_server(application, host="127.0.0.1", port=self.port, threads=threads)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServedApp:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.close()
        self.thread.join(5)
