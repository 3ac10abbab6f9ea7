"""Which adapter delivers each channel, read from the environment (or handed over by tests).

SMARTVIDEO_SMTP_URL       smtp://[user:password@]host[:port][?security=starttls|tls]
SMARTVIDEO_MAIL_FROM      the From address (default "SmartVideo <video@localhost>")
SMARTVIDEO_SMS_WEBHOOK    https://gateway.example/send  (SMS via webhook)
SMARTVIDEO_SMS_TOKEN      bearer token for the gateway
SMARTVIDEO_SMS_FROM       sender id the gateway shows
SMARTVIDEO_DELIVERY_ATTEMPTS / SMARTVIDEO_DELIVERY_BACKOFF   retries of a transient failure
Unset: both channels go to the outbox folder `<data_dir>/outbox`.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from smartvideo.invitations.delivery import (
    EmailSender,
    OutboxSender,
    SmsSender,
    SmtpSender,
    WebhookSmsSender,
)
from smartvideo.invitations.delivery_queue import RetryPolicy
from smartvideo.invitations.errors import InvitationError

DEFAULT_FROM = "SmartVideo <video@localhost>"


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    outbox: Path
    smtp_url: str = ""
    mail_from: str = DEFAULT_FROM
    sms_webhook: str = ""
    sms_token: str = ""
    sms_from: str = ""
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_env(cls, data_dir: Path, environ: Mapping[str, str] | None = None) -> DeliverySettings:
        env = os.environ if environ is None else environ
        return cls(
            outbox=Path(env.get("SMARTVIDEO_OUTBOX") or data_dir / "outbox"),
            smtp_url=env.get("SMARTVIDEO_SMTP_URL", ""),
            mail_from=env.get("SMARTVIDEO_MAIL_FROM") or DEFAULT_FROM,
            sms_webhook=env.get("SMARTVIDEO_SMS_WEBHOOK", ""),
            sms_token=env.get("SMARTVIDEO_SMS_TOKEN", ""),
            sms_from=env.get("SMARTVIDEO_SMS_FROM", ""),
            retry=RetryPolicy.from_env(env),
        )

    def email_sender(self) -> EmailSender:
        if not self.smtp_url:
            return OutboxSender(self.outbox, self.mail_from)
        url = urllib.parse.urlsplit(self.smtp_url)
        if url.scheme not in ("smtp", "smtps") or not url.hostname:
            raise InvitationError(
                f"SMARTVIDEO_SMTP_URL looks like smtp://host:25, not {self.smtp_url!r}"
            )
        query = dict(urllib.parse.parse_qsl(url.query))
        security = "tls" if url.scheme == "smtps" else query.get("security", "none")
        if security not in ("none", "starttls", "tls"):
            raise InvitationError("SMARTVIDEO_SMTP_URL security must be none, starttls or tls")
        port = url.port or (465 if security == "tls" else 587 if security == "starttls" else 25)
        return SmtpSender(
            host=url.hostname,
            port=port,
            sender=self.mail_from,
            username=urllib.parse.unquote(url.username) if url.username else None,
            password=urllib.parse.unquote(url.password) if url.password else None,
            security=security,
        )

    def sms_sender(self) -> SmsSender:
        if not self.sms_webhook:
            return OutboxSender(self.outbox, self.mail_from)
        if not self.sms_webhook.startswith(("http://", "https://")):
            raise InvitationError(
                f"SMARTVIDEO_SMS_WEBHOOK must be an http(s) URL, not {self.sms_webhook!r}"
            )
        return WebhookSmsSender(
            url=self.sms_webhook, token=self.sms_token or None, sender_id=self.sms_from or None
        )
