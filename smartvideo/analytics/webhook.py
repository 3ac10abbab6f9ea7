"""The view webhook: each finished or abandoned view is POSTed to a URL, signed, retried.

A notifier thread polls the views (never the ingest path, so a slow or dead receiver never slows a
beacon): views that completed, and views idle for `idle` without completing (abandoned), not yet
notified. Each is claimed (UPDATE ... WHERE notified = false: one process sends it), POSTed as
JSON with `X-SmartVideo-Signature: sha256=<hex HMAC-SHA256 of timestamp + "." + body>` and
`X-SmartVideo-Timestamp`, retried with exponential backoff; a view whose delivery failed every
attempt is released for the next round. No personal data beyond the customer id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, or_, select, update

from smartvideo.analytics.tables import views_table
from smartvideo.backoff import pause_after
from smartvideo.links import links_table

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-SmartVideo-Signature"
TIMESTAMP_HEADER = "X-SmartVideo-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value; a receiver recomputes it and compares in constant time."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    url: str
    secret: str
    idle: dt.timedelta = dt.timedelta(minutes=30)  # no beacon for this long: abandoned
    poll_seconds: float = 5.0
    attempts: int = 5
    base_delay: float = 0.5  # seconds; doubled each retry
    max_delay: float = 30.0
    timeout: float = 5.0


def view_payload(row: Any) -> dict[str, Any]:
    return {
        "event": "view.finished" if row.completed else "view.abandoned",
        "view_id": row.view_id,
        "story": row.story,
        "customer_id": row.customer_id,
        "variant": row.variant,
        "device": row.device,
        "channel": row.channel,
        "campaign": row.campaign or None,
        "story_version": row.story_version or None,
        "seconds_watched": row.watched_count,
        "seconds_rewatched": row.rewatches,
        "video_seconds": row.n_seconds,
        "completed": bool(row.completed),
        "cta": bool(row.cta),
        "day": str(row.day),
    }


class ViewNotifier:
    """Polls for finished and abandoned views and posts each once (see the module docstring)."""

    def __init__(self, engine: Engine, settings: WebhookSettings) -> None:
        self.engine, self.settings = engine, settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> ViewNotifier:
        self._thread = threading.Thread(target=self._run, name="view-webhook", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=self.settings.timeout + 1)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.notify_due()
            except Exception:  # noqa: BLE001 - the notifier outlives a database hiccup
                log.warning("view webhook: a round failed", exc_info=True)
            self._stop.wait(self.settings.poll_seconds)

    def notify_due(self, now: dt.datetime | None = None) -> int:
        """One round: post every due view; returns how many were delivered."""
        now = now or dt.datetime.now(dt.UTC)
        v = views_table.c
        due = and_(v.notified.is_(False), or_(v.completed.is_(True), v.updated_at < now - self.settings.idle))
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(views_table, links_table.c.customer_id)
                .join(links_table, links_table.c.id == v.link_id)
                .where(due)
                .order_by(v.updated_at)
                .limit(200)
            ).all()
        delivered = 0
        for row in rows:
            if self._stop.is_set():
                break
            if not self._claim(row.view_id, True):
                continue  # another process has it
            if self.deliver(view_payload(row)):
                delivered += 1
            else:
                self._claim(row.view_id, False)  # released: the next round tries again
        return delivered

    def _claim(self, view_id: str, notified: bool) -> bool:
        v = views_table.c
        with self.engine.begin() as conn:
            result = conn.execute(update(views_table).where(v.view_id == view_id, v.notified.is_(not notified))
                                  .values(notified=notified))
        return result.rowcount == 1

    def deliver(self, payload: dict[str, Any]) -> bool:
        """POST one payload, retrying with exponential backoff; True once the receiver says 2xx."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        s = self.settings
        for attempt in range(s.attempts):
            timestamp = str(int(time.time()))
            request = urllib.request.Request(s.url, data=body, method="POST", headers={
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(s.secret, timestamp, body),
                "User-Agent": "SmartVideo-webhook/1",
            })
            try:
                with urllib.request.urlopen(request, timeout=s.timeout) as response:  # noqa: S310 - configured URL
                    if 200 <= response.status < 300:
                        return True
            except (urllib.error.URLError, OSError) as exc:
                log.info("view webhook: attempt %d for %s failed: %s", attempt + 1, payload["view_id"],
                         type(exc).__name__)
            if attempt + 1 < s.attempts and self._stop.wait(pause_after(attempt + 1, s.base_delay, cap=s.max_delay)):
                return False
        log.warning("view webhook: %s not delivered after %d attempts", payload["view_id"], s.attempts)
        return False
