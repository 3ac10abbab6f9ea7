"""The view webhook against a real local HTTP receiver: signed, retried with backoff, once per view."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from analytics_support import SECRET
from sqlalchemy import select

from smartvideo.analytics.events import BeaconBatch, SimpleEvent, WatchEvent
from smartvideo.analytics.ingest import BeaconStore
from smartvideo.analytics.tables import views_table
from smartvideo.analytics.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, ViewNotifier, WebhookSettings

HOOK_SECRET = "webhook-secret-for-tests"


class Receiver:
    """A real HTTP server on loopback; answers 500 to the first `fail_first` posts."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first, self.received, self.attempts = fail_first, [], 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.attempts += 1
                if receiver.attempts <= receiver.fail_first:
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.received.append((self.headers, body))  # case-insensitive lookups
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _view(store: BeaconStore, link, view: str, *events) -> None:  # noqa: ANN001, ANN002
    store.ingest(link, BeaconBatch(view, 0, "landscape", tuple(events)))


def test_finished_and_abandoned_views_are_posted_once_signed_after_retries(
    store: BeaconStore, make_link  # noqa: ANN001
) -> None:
    done, left, active = make_link("C-done", channel="sms"), make_link("C-left"), make_link("C-active")
    _view(store, done, "view-done", SimpleEvent("open"), *(WatchEvent(s) for s in range(10)),
          SimpleEvent("ended", t=10.0))
    _view(store, left, "view-left", SimpleEvent("open"), WatchEvent(0), WatchEvent(1))
    _view(store, active, "view-active", SimpleEvent("open"), WatchEvent(0))
    with store.engine.begin() as conn:  # the leaver's last beacon was an hour ago
        conn.execute(views_table.update().where(views_table.c.view_id == "view-left")
                     .values(updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)))
    with Receiver(fail_first=2) as receiver:
        settings = WebhookSettings(receiver.url, HOOK_SECRET, base_delay=0.05, attempts=4)
        notifier = ViewNotifier(store.engine, settings)
        assert notifier.notify_due() == 2
        assert notifier.notify_due() == 0  # once per view
    assert receiver.attempts == 4  # two refused, retried with backoff
    payloads = {}
    for headers, body in receiver.received:
        expected = hmac.new(HOOK_SECRET.encode(), headers[TIMESTAMP_HEADER].encode() + b"." + body,
                            hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers[SIGNATURE_HEADER], f"sha256={expected}")
        payload = json.loads(body)
        payloads[payload["view_id"]] = payload
    assert set(payloads) == {"view-done", "view-left"}  # the active view is neither finished nor idle
    done_payload = payloads["view-done"]
    assert done_payload["event"] == "view.finished" and done_payload["completed"] is True
    assert (done_payload["customer_id"], done_payload["channel"], done_payload["variant"]) == ("C-done", "sms", "A")
    assert done_payload["seconds_watched"] == 10 and done_payload["cta"] is False
    assert payloads["view-left"]["event"] == "view.abandoned" and payloads["view-left"]["seconds_watched"] == 2
    assert SECRET not in json.dumps(payloads)


def test_an_unreachable_receiver_never_blocks_ingest_and_the_view_waits(store: BeaconStore, make_link) -> None:  # noqa: ANN001
    link = make_link("C-wait")
    _view(store, link, "view-wait", SimpleEvent("open"), WatchEvent(0), SimpleEvent("ended", t=10.0))
    notifier = ViewNotifier(store.engine, WebhookSettings("http://127.0.0.1:9/none", HOOK_SECRET, base_delay=0.01,
                                                          attempts=2, timeout=1))
    assert notifier.notify_due() == 0
    with store.engine.connect() as conn:
        assert conn.execute(select(views_table.c.notified)).scalar_one() is False  # released for the next round
    # ingest went on regardless: it never waits on the webhook
    assert store.ingest(link, BeaconBatch("view-wait", 1, "landscape", (WatchEvent(1),))).stored == 1


def test_a_webhook_url_without_a_secret_is_refused(tmp_path) -> None:  # noqa: ANN001
    from smartvideo.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="WEBHOOK_SECRET"):
        load_config(overrides={"data_dir": tmp_path, "analytics_webhook_url": "http://127.0.0.1:9/x"})
