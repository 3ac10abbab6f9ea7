"""A push: an agent (or a campaign) makes a link for a customer and story and invites them.

Checks come first and each rejection names its reason (unknown story, variant or customer, a
record that does not fit the story, no address for the channel); only then is a link stored, the
render started (prerender) and the invitation delivered. Every attempt is audited with ids only.
This module knows no Flask: the web API, the agent page and `smartvideo campaign` all call it.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Executable, Insert

from smartvideo.agents import audit
from smartvideo.agents.errors import PushRejected
from smartvideo.errors import DataSourceError, SmartVideoError, UnknownCustomer
from smartvideo.invitations.delivery import EmailSender, Receipt, SmsSender
from smartvideo.invitations.delivery_queue import Delivered, deliver_with_retries
from smartvideo.invitations.errors import InvitationError, MissingContact
from smartvideo.invitations.messages import (
    CHANNELS,
    EmailInvitation,
    InvitationContext,
    InvitationTemplates,
    SmsInvitation,
    contact_for,
    first_name_of,
)
from smartvideo.invitations.poster import poster_image, poster_spec
from smartvideo.invitations.settings import DeliverySettings
from smartvideo.links import Link, delivered_update, link_url, new_link, parse_ttl
from smartvideo.render.contract import RecordRejected
from smartvideo.render.devices import PROFILES, device_profile
from smartvideo.render.planner import PlanInputs, check_fits, check_fixed_parts, pick_variant, story_record
from smartvideo.render.scene_loader import Library

StartRender = Callable[[Link, str], Mapping[str, Any]]  # (link, device name) -> render status dict
# The device a customer most likely opens the link on: SMS is read on a phone.
DEFAULT_DEVICE = {"sms": "portrait", "email": "landscape", "none": "landscape"}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who pushes: an agent's name and key id, or a campaign run by a local user."""

    name: str
    source: str  # api | page | campaign
    key_id: str | None = None


@dataclass(frozen=True, slots=True)
class PushRequest:
    customer_id: str
    story: str
    channel: str = "none"
    prerender: bool = False
    variant: str | None = None
    device: str | None = None  # the device to prerender for (default by channel)
    # A campaign file's row. The render at click time reads the story's own customer data, so that
    # is what the checks use; this row only adds or overrides contact details and the first name.
    contact_record: Mapping[str, Any] | None = None
    campaign: str | None = None

    @classmethod
    def from_json(cls, body: Any) -> PushRequest:
        """Parse an API body; PushRejected names the field that is wrong."""
        if not isinstance(body, Mapping):
            raise PushRejected("the body must be a JSON object", "body")
        unknown = set(body) - {"customer_id", "story", "channel", "prerender", "variant", "device"}
        if unknown:
            raise PushRejected(
                f"unknown field(s): {', '.join(sorted(unknown))}", sorted(unknown)[0]
            )
        customer = body.get("customer_id")
        if isinstance(customer, int) and not isinstance(customer, bool):
            customer = str(customer)
        if not isinstance(customer, str) or not customer.strip():
            raise PushRejected("customer_id is required (a string)", "customer_id")
        story = body.get("story")
        if not isinstance(story, str) or not story.strip():
            raise PushRejected("story is required (a story id)", "story")
        channel = body.get("channel", "none")
        if channel not in CHANNELS:
            raise PushRejected(f"channel must be one of {', '.join(CHANNELS)}", "channel")
        prerender = body.get("prerender", False)
        if not isinstance(prerender, bool):
            raise PushRejected("prerender must be true or false", "prerender")
        variant = body.get("variant")
        if variant is not None and (not isinstance(variant, str) or not variant.strip()):
            raise PushRejected("variant must be a variant name", "variant")
        device = body.get("device")
        if device is not None and device not in PROFILES:
            raise PushRejected(f"device must be one of {', '.join(PROFILES)}", "device")
        return cls(
            customer_id=customer.strip(),
            story=story.strip(),
            channel=channel,
            prerender=prerender,
            variant=variant.strip() if variant else None,
            device=device,
        )


@dataclass(frozen=True, slots=True)
class PushResult:
    link: Link
    url: str
    status: str  # the video: queued | rendering | ready | failed (prerender), or on_click
    render: Mapping[str, Any] | None = None
    receipt: Receipt | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "url": self.url,
            "link_id": self.link.id,
            "status": self.status,
            "channel": self.link.channel,
            "expires_at": self.link.expires_at.isoformat(),
        }
        if self.render is not None:
            body["render"] = dict(self.render)
        if self.receipt is not None:
            body["delivery"] = {
                "adapter": self.receipt.adapter,
                "to": mask_contact(self.receipt.to),
            }
        return body


class PushFailed(SmartVideoError):
    """The link was made but the invitation could not be delivered; the link is still good."""

    def __init__(self, reason: str, result: PushResult):
        self.reason = reason
        self.result = result
        super().__init__(reason)


def mask_contact(value: str) -> str:
    """'anna@example.com' -> 'a***@example.com', '+31612345678' -> '+316******78'."""
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    return value[:4] + "*" * max(0, len(value) - 6) + value[-2:]


def _overlay(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """base with top's values laid over it, nested mappings merged key by key."""
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _overlay(merged[key], value)
        elif value not in (None, ""):
            merged[key] = value
    return merged


@dataclass(frozen=True)
class VideoPusher:
    """Everything a push needs, handed over once (by the web app's services or the CLI)."""

    engine: Engine
    secret: str
    public_url: str
    link_ttl: str
    library: Library
    record_lookup: Callable[[str, str], Mapping[str, Any]]  # (story, customer id) -> record
    click_context: Callable[[str, Mapping[str, Any]], Mapping[str, Any]]  # (story, record) -> extra
    delivery: DeliverySettings
    start_render: StartRender | None = None
    # True when record_lookup already reads records by the story's contract (the renderer's does):
    # a campaign checks thousands, and each contract read is a fifth of a check.
    lookup_reads_contract: bool = False
    _templates: dict[str, InvitationTemplates] = field(default_factory=dict, repr=False)
    # Per story: whether its parts without data plan (then a check plans each customer's personal
    # layers only). Worked out by the first check of the story; the same for every customer.
    _fixed_parts_ok: dict[str, bool] = field(default_factory=dict, repr=False)

    @property
    def templates(self) -> InvitationTemplates:
        if "t" not in self._templates:
            self._templates["t"] = InvitationTemplates(self.library.root)
        return self._templates["t"]

    # ---- checks ----------------------------------------------------------------------------------

    def check(self, request: PushRequest) -> Mapping[str, Any]:
        """The customer's record when the push can go ahead; PushRejected with the reason if not."""
        if request.channel not in CHANNELS:
            raise PushRejected(f"channel must be one of {', '.join(CHANNELS)}", "channel")
        if request.story not in self.library.stories:
            known = ", ".join(sorted(self.library.stories)) or "none"
            raise PushRejected(f"unknown story '{request.story}' (known: {known})", "story")
        story = self.library.stories[request.story]
        try:
            pick_variant(story, request.customer_id, request.variant)
        except SmartVideoError as exc:
            raise PushRejected(str(exc), "variant") from None
        try:
            record = self.record_lookup(request.story, request.customer_id)
        except UnknownCustomer:
            raise PushRejected(
                f"unknown customer '{request.customer_id}' for story '{request.story}'",
                "customer_id",
            ) from None
        except RecordRejected as exc:
            raise PushRejected(str(exc), "customer_id") from None
        except DataSourceError as exc:
            raise PushRejected(f"customer data cannot be read: {exc}", "customer_id") from None
        if str(record.get("id", request.customer_id)) != request.customer_id:
            raise PushRejected("the record's id does not match customer_id", "customer_id")
        try:
            # The one record check (render/contract.py), as the click's render will read it.
            record = record if self.lookup_reads_contract else story_record(story, record)
        except RecordRejected as exc:
            raise PushRejected(str(exc), "customer_id") from None
        self._check_record_fits(request, record)
        # A campaign row that is the story's own record (the same data file) adds nothing to it.
        if request.contact_record is not None and request.contact_record != getattr(record, "source", None):
            try:  # a campaign row's contact details are read by the same contract (E.164 phone, email)
                record = story_record(story, _overlay(record, request.contact_record))
            except RecordRejected as exc:
                raise PushRejected(str(exc), "customer_id") from None
        if request.channel != "none":
            try:
                contact_for(record, request.channel)
            except MissingContact as exc:
                raise PushRejected(str(exc), "channel") from None
        return record

    def _check_record_fits(self, request: PushRequest, record: Mapping[str, Any]) -> None:
        """Resolve what the plan takes from the record: a missing field shows now, not at the click.

        The story's parts without data are checked once (they are the same for every customer);
        if they do not plan, every customer is checked in full, so each gets the plan's own reason.
        """
        try:
            extra = self.click_context(request.story, record)
        except DataSourceError:
            return  # needs the click (e.g. its location) to plan: checked when the customer clicks
        device = device_profile("landscape")
        inputs = PlanInputs(
            story_id=request.story,
            record=record,
            device=device,
            variant=request.variant,
            extra_context={"click": {}, **extra},
        )
        fixed_ok = self._fixed_parts_ok.get(request.story)
        if fixed_ok is None:
            try:
                check_fixed_parts(self.library, request.story, device)
                fixed_ok = True
            except Exception:  # noqa: BLE001 - any trouble there: check each customer in full, as before
                fixed_ok = False
            self._fixed_parts_ok[request.story] = fixed_ok
        try:
            check_fits(self.library, inputs, fixed_parts_checked=fixed_ok)
        except SmartVideoError as exc:
            raise PushRejected(
                f"the customer record does not fit story '{request.story}': {exc}", "customer_id"
            ) from None

    # ---- the push --------------------------------------------------------------------------------

    def push(
        self, actor: Actor, request: PushRequest, now: dt.datetime | None = None
    ) -> PushResult:
        """Check, store the link, start the render (prerender), invite; audit it all."""
        try:
            record = self.check(request)
        except PushRejected as exc:
            self.audit_attempt(actor, request, "rejected", detail=exc.reason)
            raise
        link = self.make_link(actor, request, now)
        url = link_url(self.public_url, link.token)
        render = self.prerender(request, link)
        status = str(render.get("status", "queued")) if render is not None else "on_click"
        result = PushResult(link=link, url=url, status=status, render=render)
        if request.channel == "none":
            self.audit_attempt(actor, request, "sent", link_id=link.id)
            return result
        try:
            delivered = self.invite(actor, request, record, link)
        except InvitationError as exc:
            raise PushFailed(str(exc), result) from None
        return PushResult(
            link=link, url=url, status=status, render=render, receipt=delivered.receipt
        )

    def make_link(
        self, actor: Actor, request: PushRequest, now: dt.datetime | None = None
    ) -> Link:
        link, statement = self.new_link(actor, request, now)
        with self.engine.begin() as conn:
            conn.execute(statement)
        return link

    def new_link(
        self, actor: Actor, request: PushRequest, now: dt.datetime | None = None
    ) -> tuple[Link, Insert]:
        """The request's link and the insert that stores it (a campaign writes it with its row)."""
        return new_link(
            self.secret,
            request.story,
            request.customer_id,
            parse_ttl(self.link_ttl),
            variant=request.variant,
            campaign=request.campaign,
            channel=request.channel,
            created_by=actor.name,
            now=now,
        )

    def prerender(self, request: PushRequest, link: Link) -> Mapping[str, Any] | None:
        """Start the render when asked (before delivery: it runs while the invitation travels)."""
        if not request.prerender or self.start_render is None:
            return None
        device = request.device or DEFAULT_DEVICE[request.channel]
        return dict(self.start_render(link, device))

    def invite(
        self,
        actor: Actor,
        request: PushRequest,
        record: Mapping[str, Any],
        link: Link,
    ) -> Delivered:
        """Deliver the invitation for link with the retry policy; audit and date the delivery."""
        try:
            delivered = self.deliver(request, record, link)
        except InvitationError as exc:
            self.audit_attempt(actor, request, "failed", link_id=link.id, detail=str(exc))
            raise
        with self.engine.begin() as conn:
            for statement in self.delivered_writes(actor, request, link.id):
                conn.execute(statement)
        return delivered

    def deliver(
        self,
        request: PushRequest,
        record: Mapping[str, Any],
        link: Link,
        *,
        email_sender: EmailSender | None = None,
        sms_sender: SmsSender | None = None,
        stop: threading.Event | None = None,
    ) -> Delivered:
        """Build and deliver the invitation with the retry policy; nothing is stored.

        A campaign hands over its sending thread's own senders (an open SMTP connection) and
        stores `delivered_writes` with the customer's new state, in one transaction.
        """
        url = link_url(self.public_url, link.token)
        invitation = self._invitation(request, record, link, url)
        if isinstance(invitation, EmailInvitation):
            sender = email_sender or self.delivery.email_sender()
            send: Callable[[], Receipt] = lambda: sender.send_email(invitation)  # noqa: E731
        else:
            sms = sms_sender or self.delivery.sms_sender()
            send = lambda: sms.send_sms(invitation)  # noqa: E731
        return deliver_with_retries(send, self.delivery.retry, stop=stop)

    def delivered_writes(self, actor: Actor, request: PushRequest, link_id: str) -> list[Executable]:
        """What a delivery stores: the link's delivery date and the audit row."""
        return [delivered_update(link_id), audit.insert_for(self.audit_entry(actor, request, "sent", link_id))]

    def _invitation(
        self, request: PushRequest, record: Mapping[str, Any], link: Link, url: str
    ) -> EmailInvitation | SmsInvitation:
        ctx = InvitationContext(
            link_id=link.id,
            url=url,
            story_id=request.story,
            story_title=self.library.stories[request.story].title,
            first_name=first_name_of(record),
            expires_at=link.expires_at,
        )
        to = contact_for(record, request.channel)
        if request.channel == "email":
            poster = poster_image(poster_spec(self.library, request.story, ctx.first_name))
            return self.templates.email(ctx, to, poster)
        return self.templates.sms(ctx, to)

    def poster(self, story: str, record: Mapping[str, Any]) -> bytes:
        """The poster (JPEG) a customer would get (the agent page previews it)."""
        if story not in self.library.stories:
            raise PushRejected(f"unknown story '{story}'", "story")
        return poster_image(poster_spec(self.library, story, first_name_of(record)))

    def audit_attempt(
        self,
        actor: Actor,
        request: PushRequest,
        outcome: str,
        link_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        audit.record(self.engine, self.audit_entry(actor, request, outcome, link_id, detail))

    def audit_entry(
        self, actor: Actor, request: PushRequest, outcome: str, link_id: str | None = None, detail: str | None = None
    ) -> audit.AuditEntry:
        return audit.AuditEntry(
            at=dt.datetime.now(dt.UTC),
            actor=actor.name,
            key_id=actor.key_id,
            source=actor.source,
            customer_id=request.customer_id,
            story=request.story,
            channel=request.channel,
            link_id=link_id,
            outcome=outcome,
            detail=detail,
        )


def pusher_for(
    config: Any,
    engine: Engine,
    renderer: Any,
    start_render: Callable[..., Mapping[str, Any]] | None = None,
    delivery: DeliverySettings | None = None,
) -> VideoPusher:
    """A VideoPusher over an AppConfig, a migrated engine and a Renderer (its library and sources).

    `start_render(link, DeviceProfile)` is `RenderJobs.start`, the one way to queue a render.

    Records come from the renderer's own lookup (the story's data file): the one the render at
    click time uses, so a push that passes the checks makes a video that renders.
    """
    from smartvideo.render.renderer import RenderRequest

    def renderer_lookup(story_id: str, customer_id: str) -> Mapping[str, Any]:
        return renderer.record_for(
            RenderRequest(story=story_id, customer=customer_id, output=Path("unused.mp4"))
        )

    def start(link: Link, device: str) -> Mapping[str, Any]:
        return start_render(link, device_profile(device))  # type: ignore[misc]  # RenderJobs takes a profile

    return VideoPusher(
        engine=engine,
        secret=config.secret_key,
        public_url=config.public_url,
        link_ttl=config.link_ttl,
        library=renderer.library,
        record_lookup=renderer_lookup,
        click_context=lambda story_id, record: renderer.click_context(story_id, record, {}),
        delivery=delivery or DeliverySettings.from_env(Path(config.data_dir)),
        start_render=start if start_render is not None else None,
        lookup_reads_contract=True,  # Renderer.record_for reads by the story's contract
    )
