"""Invitations: email parts and poster, SMS length, and the three delivery adapters for real."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from agents_support import PUBLIC_URL, ROOT
from PIL import Image

from smartvideo.invitations.delivery import OutboxSender, SmtpSender, WebhookSmsSender
from smartvideo.invitations.errors import DeliveryFailed, MissingContact, SmsTooLong
from smartvideo.invitations.messages import (
    InvitationContext,
    InvitationTemplates,
    contact_for,
    first_name_of,
)
from smartvideo.invitations.poster import POSTER_SIZE, poster_image, poster_spec
from smartvideo.invitations.sms_length import fits_one_sms, fold_to_gsm7, sms_limit, sms_units
from smartvideo.render.scene_loader import load_library

API = "/api/v1/videos"
URL = f"{PUBLIC_URL}/v/AbCdEfGhIjKlMnOpQrStUvW"


@pytest.fixture(scope="module")
def library() -> Any:
    return load_library(ROOT)


@pytest.fixture(scope="module")
def templates() -> InvitationTemplates:
    return InvitationTemplates(ROOT)


def context(
    first_name: str = "Anna", url: str = URL, title: str = "Your bill, explained"
) -> InvitationContext:
    return InvitationContext(
        link_id="AbCdEfGhIjKl",
        url=url,
        story_id="first_bill",
        story_title=title,
        first_name=first_name,
        expires_at=dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
    )


# ---- SMS -----------------------------------------------------------------------------------------


def test_sms_counts_like_a_gateway() -> None:
    assert sms_units("abc") == 3 and sms_limit("abc") == 160
    assert sms_units("€5") == 3  # the euro sign is an escape plus a character in GSM-7
    assert sms_limit("Łukasz") == 70  # one character outside GSM-7 makes the whole SMS UCS-2
    assert fits_one_sms("x" * 160) and not fits_one_sms("x" * 161)


def test_sms_holds_the_link_and_fits_one_message(templates: InvitationTemplates) -> None:
    sms = templates.sms(context(), "+31612345678")
    assert URL in sms.text and "Anna" in sms.text
    assert sms.encoding == "GSM-7" and sms.units <= 160


def test_a_name_outside_gsm7_is_folded_rather_than_cut_to_70(
    templates: InvitationTemplates,
) -> None:
    sms = templates.sms(context(first_name="Łukasz"), "+48600100200")
    assert "Lukasz" in sms.text and sms.encoding == "GSM-7" and URL in sms.text
    assert fold_to_gsm7("Çağlar Øster") == "Çaglar Øster"


def test_a_long_name_falls_back_to_the_compact_sms(templates: InvitationTemplates) -> None:
    sms = templates.sms(
        context(first_name="Maximiliaan-Alexander-Wolfeschlegelsteinhausen" * 2), "+31600000000"
    )
    assert sms.units <= 160 and URL in sms.text and "Maximiliaan" not in sms.text


def test_an_sms_that_cannot_fit_is_refused(templates: InvitationTemplates) -> None:
    with pytest.raises(SmsTooLong, match="does not fit one message"):
        templates.sms(context(url="https://" + "v" * 160 + ".example/v/x"), "+31600000000")


def test_contacts_come_from_the_record_and_are_checked() -> None:
    record = {
        "customer": {"first_name": "Anna", "email": "anna@example.com", "phone": "+31 6 1234 5678"}
    }
    assert contact_for(record, "email") == "anna@example.com"
    assert contact_for(record, "sms") == "+31612345678"
    assert first_name_of(record) == "Anna"
    with pytest.raises(MissingContact):
        contact_for({"customer": {"email": "anna@example.com\r\nBcc: all@example.com"}}, "email")
    with pytest.raises(MissingContact):
        contact_for({"customer": {}}, "sms")


# ---- email and poster ----------------------------------------------------------------------------


def test_poster_is_a_personal_frame_with_a_play_button(library: Any) -> None:
    png = poster_image(poster_spec(library, "first_bill", "Anna"))
    image = Image.open(io.BytesIO(png))
    assert image.format == "JPEG" and image.size == POSTER_SIZE
    # Personal: another name gives another picture; deterministic: the same name the same bytes.
    assert png == poster_image(poster_spec(library, "first_bill", "Anna"))
    assert png != poster_image(poster_spec(library, "first_bill", "Maximiliaan"))
    # The play button (white disc) sits in the middle of the lower half.
    r, g, b = image.convert("RGB").getpixel((POSTER_SIZE[0] // 2 - 40, int(POSTER_SIZE[1] * 0.65)))
    assert min(r, g, b) > 230


def test_email_has_text_and_html_parts_and_the_poster_inline(
    templates: InvitationTemplates, library: Any
) -> None:
    png = poster_image(poster_spec(library, "first_bill", "Anna"))
    message = templates.email(context(), "anna@example.com", png).to_message(
        "Nova <video@nova.example>"
    )
    assert message["To"] == "anna@example.com" and "Anna" in message["Subject"]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html_part = message.get_body(("html",))
    html = html_part.get_content()
    assert URL in text and f'href="{URL}"' in html
    related = message.get_payload()[1]
    assert related.get_content_type() == "multipart/related"
    image = next(part for part in message.walk() if part.get_content_type() == "image/jpeg")
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html and image.get_content() == png


@pytest.mark.parametrize(
    ("first_name", "to", "sender"),
    [
        ("Anna", "anna@example.com", "Nova <video@nova.example>"),
        ("Zoë", "zoe@example.com", "Nova Énergie <video@nova.example>"),
        ("Maximiliaan-Alexander-Johannes", "a.very.long.address.of.someone@subdomain.example.com",
         "Nova  Energy  with  spaces <video@nova.example>"),
    ],
)
def test_the_quick_header_path_writes_what_compat32_writes(
    templates: InvitationTemplates, library: Any, monkeypatch: pytest.MonkeyPatch, first_name: str, to: str,
    sender: str,
) -> None:
    """Short plain headers skip compat32's fold: the bytes must be exactly the fold's."""
    import email.policy
    import email.utils

    from smartvideo.invitations import messages

    monkeypatch.setattr(email.utils, "make_msgid", lambda idstring, domain: f"<1.{idstring}@{domain}>")
    monkeypatch.setattr(messages, "_boundary", lambda: "=_sv_boundary")
    poster = poster_image(poster_spec(library, "first_bill", first_name))
    invitation = templates.email(context(first_name), to, poster)
    when = dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC)
    quick = invitation.to_bytes(sender, when)
    monkeypatch.setattr(messages, "_SMTP_COMPAT", email.policy.compat32.clone(linesep="\r\n"))
    assert invitation.to_bytes(sender, when) == quick


def test_html_escapes_what_it_shows(templates: InvitationTemplates, library: Any) -> None:
    invitation = templates.email(context(first_name="<b>Eve</b>"), "eve@example.com", b"png")
    assert "<b>Eve</b>" not in invitation.html and "&lt;b&gt;Eve&lt;/b&gt;" in invitation.html


# ---- adapters, each against the real thing -------------------------------------------------------


def test_smtp_adapter_delivers_to_a_real_smtp_server(
    smtp_server: Any, templates: InvitationTemplates, library: Any
) -> None:
    png = poster_image(poster_spec(library, "first_bill", "Anna"))
    sender = SmtpSender(host=smtp_server.host, port=smtp_server.port, sender="video@nova.example")
    receipt = sender.send_email(templates.email(context(), "anna@example.com", png))
    assert smtp_server.envelopes == [("video@nova.example", ["anna@example.com"])]
    received = smtp_server.messages[0]
    assert receipt.reference == received["Message-ID"].strip() and receipt.adapter == "smtp"
    assert URL in received.get_body(("plain",)).get_content()


def test_smtp_adapter_says_why_when_the_server_is_unreachable(
    templates: InvitationTemplates,
) -> None:
    from loopback import free_port

    sender = SmtpSender(host="127.0.0.1", port=free_port(), timeout=2)
    with pytest.raises(DeliveryFailed, match="cannot reach the SMTP server"):
        sender.send_email(templates.email(context(), "anna@example.com", b"png"))


def test_webhook_adapter_posts_the_sms_to_the_gateway(
    sms_gateway: Any, templates: InvitationTemplates
) -> None:
    receipt = WebhookSmsSender(url=sms_gateway.url, token="gw-token").send_sms(
        templates.sms(context(), "+31612345678")
    )
    [call] = sms_gateway.requests
    assert call["headers"]["Authorization"] == "Bearer gw-token"
    assert call["json"]["to"] == "+31612345678" and URL in call["json"]["text"]
    assert call["json"]["reference"] == "AbCdEfGhIjKl" and receipt.reference == "gw-1"


def test_webhook_adapter_reports_a_gateway_error(
    sms_gateway: Any, templates: InvitationTemplates
) -> None:
    sms_gateway.status = 500
    with pytest.raises(DeliveryFailed, match="answered 500"):
        WebhookSmsSender(url=sms_gateway.url).send_sms(templates.sms(context(), "+31612345678"))


def test_outbox_writes_eml_and_json_files(tmp_path: Path, templates: InvitationTemplates) -> None:
    outbox = OutboxSender(tmp_path / "outbox")
    eml = Path(
        outbox.send_email(templates.email(context(), "anna@example.com", b"\x89PNG")).reference
    )
    sms = Path(outbox.send_sms(templates.sms(context(), "+31612345678")).reference)
    assert eml.suffix == ".eml" and b"multipart/alternative" in eml.read_bytes()
    assert json.loads(sms.read_text())["to"] == "+31612345678"
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == sorted(
        [eml.name, sms.name]
    )  # no temp files


# ---- through the API -----------------------------------------------------------------------------


def test_email_push_goes_through_smtp(
    client: Any, auth: dict[str, str], smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMARTVIDEO_SMTP_URL", smtp_server.url)
    monkeypatch.setenv("SMARTVIDEO_MAIL_FROM", "Nova <video@nova.example>")
    response = client.post(
        API, json={"customer_id": "C1001", "story": "first_bill", "channel": "email"}, headers=auth
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["delivery"] == {"adapter": "smtp", "to": "a***@example.com"}
    [message] = smtp_server.messages
    assert body["url"] in message.get_body(("plain",)).get_content()
    assert message["X-SmartVideo-Link"] == body["link_id"]
    poster = next(p for p in message.walk() if p.get_content_type() == "image/jpeg").get_content()
    assert Image.open(io.BytesIO(poster)).size == POSTER_SIZE


def test_sms_push_goes_through_the_webhook(
    client: Any, auth: dict[str, str], sms_gateway: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMARTVIDEO_SMS_WEBHOOK", sms_gateway.url)
    body = client.post(
        API, json={"customer_id": "C1002", "story": "first_bill", "channel": "sms"}, headers=auth
    ).get_json()
    [call] = sms_gateway.requests
    assert call["json"]["to"] == "+31687654321" and body["url"] in call["json"]["text"]
    assert len(call["json"]["text"]) <= 160


def test_a_failed_delivery_is_502_with_the_link_and_audited(
    client: Any,
    auth: dict[str, str],
    sms_gateway: Any,
    services: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from smartvideo.agents import audit

    monkeypatch.setenv("SMARTVIDEO_SMS_WEBHOOK", sms_gateway.url)
    sms_gateway.status = 503
    response = client.post(
        API, json={"customer_id": "C1001", "story": "first_bill", "channel": "sms"}, headers=auth
    )
    assert response.status_code == 502
    body = response.get_json()
    assert (
        "not delivered" in body["error"] and body["url"].startswith(PUBLIC_URL) and body["link_id"]
    )
    [entry] = audit.recent(services.engine)
    assert entry.outcome == "failed" and entry.link_id == body["link_id"]


def test_without_settings_invitations_land_in_the_outbox(
    client: Any, auth: dict[str, str], app_config: Any
) -> None:
    for channel, customer in (("email", "C1001"), ("sms", "C1002")):
        response = client.post(
            API,
            json={"customer_id": customer, "story": "first_bill", "channel": channel},
            headers=auth,
        )
        assert response.get_json()["delivery"]["adapter"] == "outbox"
    outbox = Path(app_config["data_dir"]) / "outbox"
    names = sorted(p.name for p in outbox.iterdir())
    assert len(names) == 2 and names[0].endswith(".eml") and names[1].endswith(".sms.json")


def test_a_broken_logo_or_button_image_does_not_stop_the_poster(library: Any, tmp_path: Path) -> None:
    from dataclasses import replace

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    spec = replace(poster_spec(library, "first_bill", "Anna"), logo=broken, play_button=broken)
    image = Image.open(io.BytesIO(poster_image(spec))).convert("RGB")
    assert min(image.getpixel((POSTER_SIZE[0] // 2 - 40, int(POSTER_SIZE[1] * 0.65)))) > 230  # drawn button


def test_a_gateway_5xx_is_retried_until_it_recovers_and_the_link_is_dated(
    client: Any, auth: dict[str, str], sms_gateway: Any, services: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import select

    from smartvideo.agents import audit
    from smartvideo.links import links_table

    monkeypatch.setenv("SMARTVIDEO_SMS_WEBHOOK", sms_gateway.url)
    sms_gateway.failures_left = 2  # 503, 503, then 202: the third try (of 3) goes through
    response = client.post(
        API, json={"customer_id": "C1002", "story": "first_bill", "channel": "sms"}, headers=auth
    )
    assert response.status_code == 201 and len(sms_gateway.requests) == 3
    assert [e.outcome for e in audit.recent(services.engine)] == ["sent"]
    with services.engine.connect() as conn:
        delivered = conn.execute(
            select(links_table.c.delivered_at).where(links_table.c.id == response.get_json()["link_id"])
        ).scalar_one()
    assert delivered is not None


def test_a_gateway_4xx_is_final_at_once(
    client: Any, auth: dict[str, str], sms_gateway: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMARTVIDEO_SMS_WEBHOOK", sms_gateway.url)
    sms_gateway.status = 400
    response = client.post(
        API, json={"customer_id": "C1002", "story": "first_bill", "channel": "sms"}, headers=auth
    )
    assert response.status_code == 502 and len(sms_gateway.requests) == 1
