"""Delivery adapters: SMTP for email, a webhook for an SMS gateway, and a file outbox.

The outbox is the default: on a laptop nothing leaves the machine, and every invitation can be
opened (`.eml` in any mail client, `.json` for an SMS). Each adapter does one network or file
operation and raises DeliveryFailed with a reason a user can act on, marked transient when a
later try may work; retries belong to the delivery queue (`delivery_queue.py`). An SMTP sender can
also keep its connection open across messages (`SmtpSender.connection()`): a campaign sends
thousands of emails, and a new TCP + EHLO (+ TLS + AUTH) for each one costs more than the message.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import json
import smtplib
import ssl
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from smartvideo.atomic_files import write_atomic
from smartvideo.invitations.errors import DeliveryFailed
from smartvideo.invitations.messages import EmailInvitation, SmsInvitation


@dataclass(frozen=True, slots=True)
class Receipt:
    """What an adapter reports after handing an invitation over."""

    channel: str  # email | sms
    adapter: str  # smtp | webhook | outbox
    to: str
    reference: str  # Message-ID, the gateway's message id, or the outbox file path


class EmailSender(Protocol):
    def send_email(self, invitation: EmailInvitation) -> Receipt: ...


class SmsSender(Protocol):
    def send_sms(self, invitation: SmsInvitation) -> Receipt: ...


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


@dataclass(frozen=True, slots=True)
class OutboxSender:
    """Writes each email as `<time>-<link id>.eml` and each SMS as `<time>-<link id>.sms.json`."""

    folder: Path
    sender: str = "SmartVideo <video@localhost>"

    def send_email(self, invitation: EmailInvitation) -> Receipt:
        path = self.folder / f"{_stamp()}-{invitation.link_id}.eml"
        try:
            # Never a half-written file in the outbox: a mail pickup sees all or nothing.
            write_atomic(path, invitation.to_bytes(self.sender)[1])
        except OSError as exc:
            raise DeliveryFailed(
                f"cannot write to the outbox {self.folder}: {exc.strerror}"
            ) from None
        return Receipt("email", "outbox", invitation.to, str(path))

    def send_sms(self, invitation: SmsInvitation) -> Receipt:
        path = self.folder / f"{_stamp()}-{invitation.link_id}.sms.json"
        body = {
            "to": invitation.to,
            "text": invitation.text,
            "link_id": invitation.link_id,
            "encoding": invitation.encoding,
            "units": invitation.units,
        }
        try:
            write_atomic(path, json.dumps(body, ensure_ascii=False, indent=2).encode())
        except OSError as exc:
            raise DeliveryFailed(
                f"cannot write to the outbox {self.folder}: {exc.strerror}"
            ) from None
        return Receipt("sms", "outbox", invitation.to, str(path))


@dataclass(frozen=True, slots=True)
class SmtpSender:
    """Sends through an SMTP server (plain, STARTTLS or implicit TLS)."""

    host: str
    port: int = 25
    sender: str = "SmartVideo <video@localhost>"
    username: str | None = None
    password: str | None = None
    security: str = "none"  # none | starttls | tls
    timeout: float = 20.0

    def send_email(self, invitation: EmailInvitation) -> Receipt:
        with self.connection() as connection:
            return connection.send_email(invitation)

    def connection(self) -> SmtpConnection:
        """A connection kept open for many messages (opened on first use, reopened if dropped)."""
        return SmtpConnection(self)

    def open_client(self) -> smtplib.SMTP:
        try:
            if self.security == "tls":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if self.username:
                client.login(self.username, self.password or "")
        except smtplib.SMTPException as exc:
            raise _smtp_failure(self, exc) from None
        except OSError as exc:
            raise DeliveryFailed(
                f"cannot reach the SMTP server {self.host}:{self.port}: {exc.strerror or exc}",
                transient=True,
            ) from None
        return client


def _smtp_failure(sender: SmtpSender, exc: smtplib.SMTPException) -> DeliveryFailed:
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in exc.recipients.values()]
        transient = bool(codes) and all(400 <= c < 500 for c in codes)
        return DeliveryFailed(
            f"the SMTP server refused the recipient {', '.join(exc.recipients)}"
            f" ({', '.join(str(c) for c in codes)})",
            transient=transient,
        )
    # 4xx replies are "try again later"; a dropped connection too. 5xx are final.
    transient = isinstance(exc, smtplib.SMTPServerDisconnected) or (
        isinstance(code, int) and 400 <= code < 500
    )
    return DeliveryFailed(
        f"SMTP delivery to {sender.host}:{sender.port} failed: {exc}", transient=transient
    )


class SmtpConnection:
    """One SMTP session reused for many messages; one per thread (smtplib is not thread-safe)."""

    def __init__(self, sender: SmtpSender):
        self.sender = sender
        self._client: smtplib.SMTP | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> SmtpConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send_email(self, invitation: EmailInvitation) -> Receipt:
        message_id, message = invitation.to_bytes(self.sender.sender)
        envelope_from = email.utils.parseaddr(self.sender.sender)[1] or self.sender.sender
        with self._lock:
            refused = self._send(envelope_from, invitation.to, message)
        if refused:
            raise DeliveryFailed(f"the SMTP server refused {', '.join(refused)}")
        return Receipt("email", "smtp", invitation.to, message_id)

    def _send(self, envelope_from: str, to: str, message: bytes) -> dict[str, tuple[int, bytes]]:
        for fresh_try in (False, True):
            reused = self._client is not None
            try:
                if self._client is None:
                    self._client = self.sender.open_client()
                return self._client.sendmail(envelope_from, [to], message)
            except smtplib.SMTPServerDisconnected:
                self._drop()
                if reused and not fresh_try:
                    continue  # the server dropped an idle connection: nothing was sent yet
                raise DeliveryFailed(
                    f"the SMTP server {self.sender.host}:{self.sender.port} closed the connection",
                    transient=True,
                ) from None
            except smtplib.SMTPException as exc:
                self._reset()
                raise _smtp_failure(self.sender, exc) from None
            except OSError as exc:
                self._drop()
                raise DeliveryFailed(
                    f"lost the SMTP server {self.sender.host}:{self.sender.port}:"
                    f" {exc.strerror or exc}",
                    transient=True,
                ) from None
        raise AssertionError("unreachable")

    def _reset(self) -> None:
        """After a refused message the session is still good once RSET clears the envelope."""
        try:
            if self._client is not None:
                self._client.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(OSError):
                client.close()

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
            if client is not None:
                try:
                    client.quit()
                except (smtplib.SMTPException, OSError):
                    client.close()


@dataclass(frozen=True, slots=True)
class WebhookSmsSender:
    """POSTs {to, text, reference} as JSON to an SMS gateway; any 2xx is accepted.

    The gateway's own message id is taken from the reply's `id` or `message_id` when present.
    """

    url: str
    token: str | None = None  # sent as `Authorization: Bearer <token>`
    sender_id: str | None = None  # the "from" name or number, when the gateway wants one
    timeout: float = 10.0

    def send_sms(self, invitation: SmsInvitation) -> Receipt:
        body: dict[str, str] = {
            "to": invitation.to,
            "text": invitation.text,
            "reference": invitation.link_id,
        }
        if self.sender_id:
            body["from"] = self.sender_id
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": "SmartVideo-SMS/1",
            },
        )
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (configured URL)
                raw = response.read(65536)
        except urllib.error.HTTPError as exc:
            detail = exc.read(300).decode("utf-8", "replace").strip()
            raise DeliveryFailed(
                f"the SMS gateway answered {exc.code} {exc.reason}"
                + (f": {detail}" if detail else ""),
                transient=exc.code >= 500 or exc.code in (408, 429),
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryFailed(
                f"cannot reach the SMS gateway {self.url}: {reason}", transient=True
            ) from None
        reference = invitation.link_id
        try:
            reply = json.loads(raw or b"{}")
            if isinstance(reply, dict):
                reference = str(reply.get("id") or reply.get("message_id") or reference)
        except ValueError:
            pass  # a gateway that answers 2xx with a non-JSON body still took the message
        return Receipt("sms", "webhook", invitation.to, reference)
