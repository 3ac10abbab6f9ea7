"""Fixtures for the agent area: the real app (create_app) on real Redis, a real SMTP server
(aiosmtpd) and a real HTTP server standing in for an SMS gateway, all started by the test.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from agents_support import PUBLIC_URL, RATE, SECRET
from loopback import free_port


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No delivery or limit settings leak in from the shell running the tests."""
    for name in list(os.environ):
        if name.startswith("SMARTVIDEO_") and name != "SMARTVIDEO_TEST_REDIS":
            monkeypatch.delenv(name)
    monkeypatch.setenv("SMARTVIDEO_AGENT_RATE_LIMIT", RATE)
    monkeypatch.setenv("SMARTVIDEO_DELIVERY_BACKOFF", "0.01")  # retries, without the waiting


@pytest.fixture
def app_config(tmp_path: Path, shared_cache: Path, redis_url: str) -> dict[str, Any]:
    return {
        "data_dir": tmp_path / "data",
        "cache_dir": shared_cache,
        "secret_key": SECRET,
        "public_url": PUBLIC_URL,
        "redis_url": redis_url,
        "broker_url": "",
        "link_ttl": "7d",
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Any]:
    from smartvideo.web.app_factory import create_app

    application = create_app(app_config)
    application.config["TESTING"] = True
    yield application
    application.extensions["smartvideo"].close()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def services(app: Any) -> Any:
    return app.extensions["smartvideo"]


@pytest.fixture
def agent_key(services: Any) -> str:
    from smartvideo.agents.keys import issue_key

    return issue_key(services.engine, "Alice Agent").plaintext


@pytest.fixture
def auth(agent_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {agent_key}"}


# ---- a real SMTP server --------------------------------------------------------------------------


@dataclass
class SmtpInbox:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    peers: list[Any] = field(default_factory=list)  # the client's (host, port) of each message

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"


@pytest.fixture
def smtp_server() -> Iterator[SmtpInbox]:
    """aiosmtpd on a free local port, keeping every message it is handed."""
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox("127.0.0.1", free_port())

    class Keep:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            inbox.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            inbox.peers.append(session.peer)
            inbox.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
            return "250 Message accepted for delivery"

    controller = Controller(Keep(), hostname=inbox.host, port=inbox.port)
    controller.start()
    yield inbox
    controller.stop()


# ---- a real HTTP server as the SMS gateway -------------------------------------------------------


@dataclass
class Gateway:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 202  # what the gateway answers; tests set 500 to see a failure
    failures_left: int = 0  # answer 503 this many times first (a gateway that recovers)


@pytest.fixture
def sms_gateway() -> Iterator[Gateway]:
    port = free_port()
    gateway = Gateway(url=f"http://127.0.0.1:{port}/send")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            status = gateway.status
            if gateway.failures_left > 0:
                gateway.failures_left -= 1
                status = 503
            gateway.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers),
                    "json": json.loads(body or b"{}"),
                }
            )
            reply = json.dumps(
                {"id": f"gw-{len(gateway.requests)}"}
                if status < 300
                else {"error": "gateway is down"}
            ).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield gateway
    server.shutdown()
    server.server_close()
