"""Invitations rendered from Jinja2 templates: an email (text + HTML + inline poster) and an SMS.

Templates live in the content root under `templates/invitations/`; a story may have its own in
`templates/invitations/<story id>/`, which win. They render sandboxed with StrictUndefined, like
scene texts, and see only what an invitation needs (first name, story title, link, expiry): no
bill data travels in a message that sits in inboxes for years.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.header
import email.policy
import email.utils
import functools
import io
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path
from typing import Any, cast

from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    select_autoescape,
)
from jinja2.sandbox import SandboxedEnvironment

from smartvideo.invitations.errors import InvalidContact, InvitationError, MissingContact, SmsTooLong
from smartvideo.invitations.poster import POSTER_FILENAME, POSTER_TYPE
from smartvideo.invitations.sms_length import (
    fits_one_sms,
    fold_to_gsm7,
    is_gsm7,
    sms_limit,
    sms_units,
)
from smartvideo.settings import bundled_content_root

CHANNELS = ("email", "sms", "none")
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{5,20}$")


@dataclass(frozen=True, slots=True)
class InvitationContext:
    """What an invitation template may show."""

    link_id: str
    url: str
    story_id: str
    story_title: str
    first_name: str
    expires_at: dt.datetime

    def as_template_context(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "story": {"id": self.story_id, "title": self.story_title},
            "first_name": self.first_name,
            "expires": self.expires_at.strftime("%-d %B %Y"),
            "expires_short": self.expires_at.strftime("%-d %b"),
        }


@dataclass(frozen=True, slots=True)
class EmailInvitation:
    to: str
    subject: str
    text: str
    html: str
    poster: bytes  # the poster image (invitations/poster.py: POSTER_TYPE)
    poster_cid: str  # Content-ID of the inline poster, without the angle brackets
    link_id: str

    def to_bytes(self, sender: str, now: dt.datetime | None = None) -> tuple[str, bytes]:
        """(Message-ID, the message as SMTP bytes): multipart/alternative of the text, then
        multipart/related (the HTML and the poster inline, by CID).

        Built with the email package's compat32 classes, which write what they are given: the
        default policy re-parses every header on output and was half of an invitation's CPU. The
        poster's base64 is made once per poster (`_poster_base64`) and put in at the end, so 60 KB
        of base64 lines are not re-split and re-joined for every customer who shares a poster.
        """
        domain = sender.rpartition("@")[2].strip(">") or "smartvideo.local"
        message_id = email.utils.make_msgid(idstring=self.link_id, domain=domain)
        root = MIMEMultipart("alternative", boundary=_boundary())
        root["From"] = _address(sender)
        root["To"] = self.to
        root["Subject"] = _header(self.subject)
        root["Date"] = email.utils.format_datetime(now or dt.datetime.now(dt.UTC))
        root["Message-ID"] = message_id
        root["X-SmartVideo-Link"] = self.link_id  # lets a bounce be traced to its link
        root.attach(MIMEText(self.text, "plain", "utf-8"))
        related = MIMEMultipart("related", boundary=_boundary())
        related.attach(MIMEText(self.html, "html", "utf-8"))
        image = MIMEImage(b"", POSTER_TYPE[1], _encoder=_poster_placeholder)
        image["Content-ID"] = f"<{self.poster_cid}>"
        image.add_header("Content-Disposition", "inline", filename=POSTER_FILENAME)
        related.attach(image)
        root.attach(related)
        out = io.BytesIO()
        BytesGenerator(out, mangle_from_=False, policy=_SMTP_COMPAT).flatten(root)
        return message_id, out.getvalue().replace(_POSTER_PLACEHOLDER, _poster_base64(self.poster), 1)

    def to_message(self, sender: str, now: dt.datetime | None = None) -> EmailMessage:
        """The message as an EmailMessage (the outbox and tests read it): `to_bytes`, parsed."""
        return cast(EmailMessage, email.message_from_bytes(self.to_bytes(sender, now)[1], policy=email.policy.default))


class _SmtpCompat32(email.policy.Compat32):
    """compat32 (headers as given, CRLF line ends as SMTP wants them) that writes a short plain
    ASCII header straight out: what compat32 writes for one anyway, without the Header object
    and fold it makes for each of a message's 21 headers (a sixth of an invitation's CPU)."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        if (isinstance(value, str) and len(name) + len(value) + 2 <= (self.max_line_length or 0)
                and _PLAIN_HEADER.fullmatch(value)):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


# Printable ASCII words with single spaces between: nothing for a fold to change.
_PLAIN_HEADER = re.compile(r"[!-~]+(?: [!-~]+)*")
_SMTP_COMPAT = _SmtpCompat32(linesep="\r\n")
# Not base64 (no "@"), so it cannot occur in an encoded body; replaced by the poster's base64.
_POSTER_PLACEHOLDER = b"@@smartvideo-poster@@"


def _boundary() -> str:
    # "_" is not a base64 character and every body part is base64: a boundary with it cannot occur
    # in a body, so the generator's scan of the whole message for a collision is not needed.
    return f"=_sv_{uuid.uuid4().hex}"


def _header(value: str) -> Any:
    """Non-ASCII header text (a name in the subject) encoded as RFC 2047 words; ASCII as is."""
    return value if value.isascii() else email.header.Header(value, "utf-8")


def _address(value: str) -> str:
    """'Nova Énergie <video@nova.example>' with only the display name encoded when not ASCII."""
    if value.isascii():
        return value
    name, address = email.utils.parseaddr(value)
    return email.utils.formataddr((name, address), charset="utf-8")


def _poster_placeholder(part: MIMEImage) -> None:
    part.set_payload(_POSTER_PLACEHOLDER.decode())
    part["Content-Transfer-Encoding"] = "base64"


@functools.lru_cache(maxsize=512)  # as many as poster_image keeps
def _poster_base64(image: bytes) -> bytes:
    return base64.encodebytes(image).replace(b"\n", b"\r\n").rstrip(b"\r\n")


@dataclass(frozen=True, slots=True)
class SmsInvitation:
    to: str
    text: str
    link_id: str

    @property
    def encoding(self) -> str:
        return "GSM-7" if is_gsm7(self.text) else "UCS-2"

    @property
    def units(self) -> int:
        return sms_units(self.text)


def _dig(record: Mapping[str, Any], dotted: str) -> Any:
    node: Any = record
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def first_name_of(record: Mapping[str, Any]) -> str:
    for path in ("customer.first_name", "first_name", "customer.name", "name"):
        value = _dig(record, path)
        if isinstance(value, str) and value.strip():
            return (
                value.strip().split()[0]
                if path.endswith(".name") or path == "name"
                else value.strip()
            )
    return ""


_CONTACT_PATHS = {
    "email": ("customer.email", "email"),
    "sms": ("customer.phone", "customer.mobile", "phone", "mobile"),
}


def _usable(channel: str, value: Any) -> str | None:
    if channel == "email":
        if isinstance(value, str) and _EMAIL.match(value.strip()):
            return value.strip()
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(int(value))
    if isinstance(value, str) and _PHONE.match(value.strip()):
        digits = re.sub(r"[^0-9]", "", value)
        return ("+" if value.strip().startswith("+") else "") + digits
    return None


def contact_for(record: Mapping[str, Any], channel: str) -> str:
    """The record's email address or phone number for channel.

    MissingContact when there is none, InvalidContact (naming the value) when the one on file
    cannot be used: an agent must see "06-12AB-34 is not a phone number", not "no phone".
    """
    if channel not in _CONTACT_PATHS:
        raise InvitationError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    invalid: tuple[str, Any] | None = None
    for path in _CONTACT_PATHS[channel]:
        value = _dig(record, path)
        usable = _usable(channel, value)
        if usable is not None:
            return usable
        if value not in (None, "") and invalid is None:
            invalid = (path, value)
    what = "email address" if channel == "email" else "phone number"
    if invalid is not None:
        raise InvalidContact(f"the {what} {str(invalid[1])!r} ({invalid[0]}) is not valid", str(invalid[1]))
    raise MissingContact(f"the customer record has no {what} ({_CONTACT_PATHS[channel][0]})")


class InvitationTemplates:
    """The invitation templates of one content root, loaded once."""

    def __init__(self, content_root: Path):
        self.folder = content_root / "templates" / "invitations"
        bundled = bundled_content_root() / "templates" / "invitations"
        # The content root's templates win; the bundled ones cover a root that has none.
        self.env = SandboxedEnvironment(
            loader=ChoiceLoader(
                [FileSystemLoader(str(self.folder)), FileSystemLoader(str(bundled))]
            ),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )

    def _render(self, story_id: str, name: str, context: Mapping[str, Any]) -> str:
        try:
            template = self.env.select_template([f"{story_id}/{name}", name])
            return template.render(**context)
        except TemplateNotFound:
            raise InvitationError(f"no invitation template {name} in {self.folder}") from None
        except TemplateError as exc:
            raise InvitationError(f"invitation template {name}: {exc}") from None

    def email(self, ctx: InvitationContext, to: str, poster: bytes) -> EmailInvitation:
        cid = f"poster.{ctx.link_id}@smartvideo"
        values = {**ctx.as_template_context(), "poster_src": f"cid:{cid}"}
        subject = " ".join(self._render(ctx.story_id, "email_subject.txt", values).split())
        return EmailInvitation(
            to=to,
            subject=subject,
            text=self._render(ctx.story_id, "email.txt", values).strip() + "\n",
            html=self._render(ctx.story_id, "email.html", values),
            poster=poster,
            poster_cid=cid,
            link_id=ctx.link_id,
        )

    def sms(self, ctx: InvitationContext, to: str) -> SmsInvitation:
        """One SMS with the link: full text, else the compact form; GSM-7 folding before UCS-2."""
        tried = []
        for compact in (False, True):
            text = " ".join(
                self._render(
                    ctx.story_id, "sms.txt", {**ctx.as_template_context(), "compact": compact}
                ).split()
            )
            if ctx.url not in text:
                raise InvitationError("the SMS template must include the link ({{ url }})")
            for candidate in (text, fold_to_gsm7(text)):
                if fits_one_sms(candidate) and ctx.url in candidate:
                    return SmsInvitation(to=to, text=candidate, link_id=ctx.link_id)
            tried.append(f"{sms_units(text)}/{sms_limit(text)}")
        raise SmsTooLong(
            f"the SMS does not fit one message ({' then '.join(tried)} characters); "
            "shorten templates/invitations/sms.txt or the public URL"
        )
