"""Agent routes: `POST /api/v1/videos` (API key) and the agent page at `/agent` (key login).

The API answers JSON only, errors included: 401 without a valid key, 422 with the reason for an
unknown story, variant or customer, 429 over the key's rate limit, 502 when the link was made but
the invitation could not be delivered (the body still carries the link). The page is server-side
HTML that works without JavaScript; a few lines of script only refresh the poster preview.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, cast

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sansio.blueprints import BlueprintSetupState

from smartvideo.agents import audit, keys
from smartvideo.agents.customer_search import CustomerDirectory, CustomerHit, SearchResult
from smartvideo.agents.errors import InvalidAgentKey, PushRejected
from smartvideo.agents.push import Actor, PushFailed, PushRequest, VideoPusher, pusher_for
from smartvideo.agents.rate_limit import AgentRateLimit, RateLimitExceeded, agent_rate_limit
from smartvideo.errors import DataSourceError, SmartVideoError
from smartvideo.invitations.poster import POSTER_TYPE
from smartvideo.invitations.settings import DeliverySettings
from smartvideo.nba.arbitration import Choice, NoEligibleAction
from smartvideo.nba.engine import UnknownDecision
from smartvideo.settings import bundled_content_root
from smartvideo.web.csrf import csrf_ok, csrf_token

log = logging.getLogger(__name__)

# The bundled page templates; an app whose own loader has templates/pages/agent*.html wins.
bp = Blueprint("agents", __name__, template_folder=str(bundled_content_root() / "templates"))

EXTENSION = "smartvideo.agents"
SEARCH_LIMIT = 20


@dataclass
class AgentsState:
    """Per-app state: the limiter is made at registration, the rest on first use."""

    rate_limit: AgentRateLimit
    lock: threading.Lock = field(default_factory=threading.Lock)
    pusher: VideoPusher | None = None
    directory: CustomerDirectory | None = None


def _services() -> Any:
    """The web app's Services (config, engine, renderer, renders), set up by create_app."""
    return current_app.extensions["smartvideo"]


def _redis_url_of(app: Flask) -> str:
    services = app.extensions.get("smartvideo")
    if services is not None:
        return services.config.lock_redis_url
    return str(app.config.get("SMARTVIDEO_REDIS_URL") or "")


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    app = cast(Flask, state.app)
    app.extensions[EXTENSION] = AgentsState(rate_limit=agent_rate_limit(app, _redis_url_of(app)))


def _state() -> AgentsState:
    return current_app.extensions[EXTENSION]


def _pusher() -> VideoPusher:
    state = _state()
    with state.lock:
        if state.pusher is None:
            s = _services()
            delivery = current_app.config.get("SMARTVIDEO_DELIVERY") or DeliverySettings.from_env(
                s.config.data_dir
            )
            state.pusher = pusher_for(
                s.config, s.engine, s.renderer, start_render=s.renders.start, delivery=delivery
            )
        return state.pusher


def _directory() -> CustomerDirectory:
    state = _state()
    with state.lock:
        if state.directory is None:
            state.directory = CustomerDirectory(_services().renderer.library)
        return state.directory


def _error(code: int, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify({"error": message, **extra}), code


def _presented_key() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("X-API-Key") or None


def _retry_after(exc: RateLimitExceeded) -> int:
    return exc.retry_after


def _audit_only(actor: Actor, body: Any, outcome: str, detail: str) -> None:
    """Audit an attempt that never became a PushRequest (rate limited, malformed)."""
    ids = body if isinstance(body, dict) else {}
    audit.record(
        _services().engine,
        audit.AuditEntry(
            at=dt.datetime.now(dt.UTC),
            actor=actor.name,
            key_id=actor.key_id,
            source=actor.source,
            customer_id=str(ids["customer_id"])[:200]
            if isinstance(ids.get("customer_id"), str | int)
            else None,
            story=str(ids["story"])[:100] if isinstance(ids.get("story"), str) else None,
            channel=str(ids["channel"])[:20] if isinstance(ids.get("channel"), str) else None,
            link_id=None,
            outcome=outcome,
            detail=detail,
        ),
    )


# ---- "the best video for this customer": a decision picks the story (nba) -------------------------

DECISION_PREFIX = "decision:"  # the page's story list offers decisions as "decision:<id>"


def _decide(decision_id: str, customer_id: str) -> Choice:
    """The decision's choice for the customer, not logged yet (logged with the link once made)."""
    try:
        return _services().renders.decisions.decide(decision_id, customer_id, log=False)
    except (UnknownDecision, NoEligibleAction, DataSourceError) as exc:
        raise PushRejected(str(exc), "decision") from None


def _log_choice(choice: Choice, customer_id: str, link_id: str) -> None:
    from smartvideo.nba.store import log_decision

    log_decision(_services().engine, choice, customer_id, link_id, dt.datetime.now(dt.UTC))


# ---- the API -------------------------------------------------------------------------------------


@bp.post("/api/v1/videos")
def create_video() -> Any:
    """Make a link for customer + story, optionally prerender, and send the invitation."""
    try:
        agent = keys.authenticate(_services().engine, _presented_key())
    except InvalidAgentKey as exc:
        key_id = keys.presented_key_id(_presented_key())
        _audit_only(
            Actor(name="unauthenticated", source="api", key_id=key_id),
            request.get_json(silent=True),
            "unauthorized",
            "no API key" if not _presented_key() else "the key is unknown, revoked or wrong",
        )
        response, status = _error(401, str(exc))
        response.headers["WWW-Authenticate"] = 'Bearer realm="smartvideo"'
        return response, status
    actor = Actor(name=agent.name, source="api", key_id=agent.key_id)
    body = request.get_json(silent=True)
    try:
        _state().rate_limit.check(agent.key_id)
    except RateLimitExceeded as exc:
        _audit_only(actor, body, "rate_limited", f"over {exc.rate}")
        response, status = _error(
            429, f"rate limit exceeded for this key ({exc.rate}); try again later"
        )
        response.headers["Retry-After"] = str(_retry_after(exc))
        return response, status
    if body is None:
        reason = "the body must be JSON (Content-Type: application/json)"
        _audit_only(actor, None, "rejected", f"400: {reason}")
        return _error(400, reason)
    choice = None
    if isinstance(body, dict) and "decision" in body:  # the engine picks the story now
        body = dict(body)
        decision_id = body.pop("decision")
        try:
            if "story" in body:
                raise PushRejected("give a story or a decision, not both", "decision")
            if not isinstance(decision_id, str) or not isinstance(body.get("customer_id"), str):
                raise PushRejected("decision and customer_id are ids (strings)", "decision")
            choice = _decide(decision_id, body["customer_id"].strip())
        except PushRejected as exc:
            _audit_only(actor, body, "rejected", exc.reason)
            return _error(422, exc.reason, field=exc.field)
        body["story"] = choice.story
        if choice.variant and "variant" not in body:
            body["variant"] = choice.variant
    try:
        push = PushRequest.from_json(body)
    except PushRejected as exc:
        _audit_only(actor, body, "rejected", exc.reason)
        return _error(422, exc.reason, field=exc.field)
    try:
        result = _pusher().push(actor, push)
        if choice is not None:
            _log_choice(choice, push.customer_id, result.link.id)
    except PushRejected as exc:
        return _error(422, exc.reason, field=exc.field)
    except PushFailed as exc:
        return _error(
            502,
            f"the link was made but the invitation was not delivered: {exc.reason}",
            **exc.result.as_json(),
        )
    answer = result.as_json()
    if choice is not None:
        answer["decision"] = choice.as_dict()
    return jsonify(answer), 201


@bp.errorhandler(SmartVideoError)
def _known_error(exc: SmartVideoError) -> Any:
    log.warning("agent request failed: %s", exc)
    if request.path.startswith("/api/"):
        return _error(500, str(exc))
    return render_template("pages/agent_error.html", message=str(exc)), 500


# ---- the agent page ------------------------------------------------------------------------------


def _page_agent() -> keys.AgentKey | None:
    key_id = session.get("agent_key_id")
    if not key_id:
        return None
    try:
        return keys.active_key(_services().engine, key_id)
    except InvalidAgentKey:
        session.pop("agent_key_id", None)  # revoked since login: out at once
        return None


def _stories() -> list[dict[str, str]]:
    library = _services().renderer.library
    try:
        decisions = _services().renders.decisions.decisions
    except SmartVideoError as exc:  # a broken decision file must not take the stories down with it
        log.error("decisions not offered on the agent page: %s", exc)
        decisions = {}
    best = [{"id": DECISION_PREFIX + d.id, "title": f"Best video for this customer ({d.title})"}
            for d in decisions.values()]
    return best + [
        {"id": s.id, "title": s.title}
        for s in sorted(library.stories.values(), key=lambda s: s.title)
    ]


def _limit() -> int:
    """How many search results to show: 20, more when the page asks (at most 500)."""
    try:
        return max(1, min(500, int(request.args.get("limit", SEARCH_LIMIT))))
    except ValueError:
        return SEARCH_LIMIT


def _selected_story(chosen: CustomerHit | None, asked: str, stories: list[dict[str, str]]) -> str:
    """The one story the menu shows, the poster previews and the form sends."""
    ids = [s["id"] for s in stories]
    if asked in ids:
        return asked
    if chosen is not None:
        for story_id in ids:  # the menu's order: the first of the customer's own stories
            if story_id in chosen.stories:
                return story_id
    return ids[0] if ids else ""


def _default_channel(chosen: CustomerHit | None) -> str:
    if chosen is None:
        return "none"
    return "email" if chosen.has_email else "sms" if chosen.has_phone else "none"


OFFER_SEPARATOR = "|"  # an offer is "<story>|<channel>": one choice, so the card sends what it shows


def _offers(chosen: CustomerHit, stories: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Every story by every channel, grouped by channel; a channel the customer cannot get is
    shown with the reason (the invalid value included) and cannot be chosen."""
    channels = (
        ("email", chosen.has_email, chosen.email_to, chosen.email_problem),
        ("sms", chosen.has_phone, chosen.phone_to, chosen.phone_problem),
    )
    groups = []
    for channel, usable, to, problem in channels:
        word, what = ("email", "email") if channel == "email" else ("SMS", "phone")
        sms_note = "" if channel == "email" else ": a text message with the link (no picture)"
        groups.append({
            "channel": channel,
            "usable": usable,
            "label": f"By {word} to {to}" if usable else f"By {word}: not possible ({what} {problem})",
            "summary": f"by {word} to {to}{sms_note}",
        })
    groups.append({"channel": "none", "usable": True, "label": "Link only: nothing is sent",
                   "summary": "as a link only: nothing is sent to the customer"})
    for group in groups:
        group["options"] = [
            {"value": f"{s['id']}{OFFER_SEPARATOR}{group['channel']}", "story": s["id"], "title": s["title"]}
            for s in stories
        ]
    return groups


def _story_and_channel(form: Any) -> tuple[str, str]:
    """The page sends one `offer` (story and channel); separate fields are read too (API-like posts)."""
    offer = form.get("offer", "").strip()
    if OFFER_SEPARATOR in offer:
        story, _, channel = offer.rpartition(OFFER_SEPARATOR)
        return story.strip(), channel.strip()
    return form.get("story", "").strip(), form.get("channel", "none").strip()


def _console(agent: keys.AgentKey, status: int = 200, **values: Any) -> tuple[str, int]:
    query = values.pop("q", request.args.get("q", "")).strip()
    limit = _limit()
    found = _directory().search(query, limit) if query else SearchResult([], 0)
    hits = list(found.hits)
    selected = values.pop("customer_id", request.args.get("customer", ""))
    chosen = _directory().get(selected) if selected else None
    if chosen and chosen not in hits:
        hits.insert(0, chosen)
    stories = _stories()
    if chosen is not None:  # only what can be sent to this customer: their stories, and the decisions
        stories = [s for s in stories if s["id"] in chosen.stories or s["id"].startswith(DECISION_PREFIX)]
    story = _selected_story(chosen, values.pop("story", request.args.get("story", "")), stories)
    channel = values.pop("channel", None) or request.args.get("channel") or _default_channel(chosen)
    offers = _offers(chosen, stories) if chosen else []
    if not any(g["channel"] == channel and g["usable"] for g in offers):
        channel = _default_channel(chosen)
    return render_template(
        "pages/agent.html",
        agent=agent,
        q=query,
        hits=hits,
        total=found.total,
        limit=limit,
        more=min(500, limit + 100) if found.total > limit else None,
        stories=stories,
        chosen=chosen,
        story=story,
        channel=channel,
        offers=offers,
        offer=f"{story}{OFFER_SEPARATOR}{channel}",
        csrf=csrf_token(),
        recent=audit.recent(_services().engine, 10, actor=agent.name),
        **values,
    ), status


@bp.get("/agent")
def agent_page() -> Any:
    agent = _page_agent()
    if agent is None:
        return render_template("pages/agent_login.html", csrf=csrf_token(), error=None)
    return _console(agent)


@bp.post("/agent/login")
def agent_login() -> Any:
    if not csrf_ok():
        return render_template(
            "pages/agent_login.html",
            csrf=csrf_token(),
            error="The form expired; please try again.",
        ), 400
    try:
        agent = keys.authenticate(_services().engine, request.form.get("key", ""))
    except InvalidAgentKey:
        return render_template(
            "pages/agent_login.html",
            csrf=csrf_token(),
            error="That key is not valid (or was revoked).",
        ), 401
    session.clear()
    session["agent_key_id"] = agent.key_id  # the key id only: the secret never goes in a cookie
    return redirect(url_for("agents.agent_page"))


@bp.post("/agent/logout")
def agent_logout() -> Any:
    if csrf_ok():
        session.clear()
    return redirect(url_for("agents.agent_page"))


@bp.get("/agent/customers")
def agent_customers() -> Any:
    """JSON search for the page's live search box."""
    if _page_agent() is None:
        return _error(401, "log in on /agent first")
    found = _directory().search(request.args.get("q", ""), _limit())
    return jsonify(
        {
            "count": found.total,
            "shown": len(found.hits),
            "customers": [
                {
                    "id": h.id,
                    "name": h.name,
                    "email": h.has_email,
                    "sms": h.has_phone,
                    "email_problem": h.email_problem or None,
                    "sms_problem": h.phone_problem or None,
                    "stories": list(h.stories),
                }
                for h in found.hits
            ],
        }
    )


@bp.get("/agent/poster.jpg")
def agent_poster() -> Any:
    """The poster the customer would get, for the page's preview."""
    if _page_agent() is None:
        return _error(401, "log in on /agent first")
    customer_id, story = request.args.get("customer", ""), request.args.get("story", "")
    try:
        if story.startswith(DECISION_PREFIX):
            story = _decide(story.removeprefix(DECISION_PREFIX), customer_id).story
        record = _pusher().check(PushRequest(customer_id=customer_id, story=story))
        image = _pusher().poster(story, record)
    except PushRejected as exc:
        return _error(422, exc.reason, field=exc.field)
    response = Response(image, mimetype="/".join(POSTER_TYPE))
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.post("/agent/send")
def agent_send() -> Any:
    agent = _page_agent()
    if agent is None:
        return redirect(url_for("agents.agent_page"))
    form = request.form
    if not csrf_ok():
        return _console(
            agent,
            400,
            error="The form expired; please send again.",
            customer_id=form.get("customer_id", ""),
        )
    actor = Actor(name=agent.name, source="page", key_id=agent.key_id)
    customer_id = form.get("customer_id", "").strip()
    story, channel = _story_and_channel(form)
    try:
        _state().rate_limit.check(agent.key_id)
    except RateLimitExceeded as exc:
        _audit_only(
            actor,
            {"customer_id": customer_id, "story": story},
            "rate_limited",
            f"over {exc.rate}",
        )
        return _console(
            agent,
            429,
            error=f"Too many videos sent with this key ({exc.rate}). Wait a moment.",
            customer_id=customer_id,
            story=story,
            channel=channel,
        )
    choice = None
    try:
        fields: dict[str, Any] = {"customer_id": customer_id, "story": story,
                                  "channel": channel, "prerender": form.get("prerender") == "on"}
        if story.startswith(DECISION_PREFIX):
            choice = _decide(story.removeprefix(DECISION_PREFIX), customer_id)
            fields.update(story=choice.story, **({"variant": choice.variant} if choice.variant else {}))
        push = PushRequest.from_json(fields)
        result = _pusher().push(actor, push)
        if choice is not None:
            _log_choice(choice, push.customer_id, result.link.id)
    except PushRejected as exc:
        return _console(
            agent,
            422,
            error=exc.reason,
            customer_id=customer_id,
            story=story,
            channel=channel,
        )
    except PushFailed as exc:
        return render_template(
            "pages/agent_sent.html",
            agent=agent,
            result=exc.result,
            story_title=_story_title(exc.result.link.story),
            error=exc.reason,
            csrf=csrf_token(),
        ), 502
    return render_template(
        "pages/agent_sent.html",
        agent=agent,
        result=result,
        story_title=_story_title(result.link.story),
        error=None,
        csrf=csrf_token(),
        choice=choice,
    )


def _story_title(story_id: str) -> str:
    story = _services().renderer.library.stories.get(story_id)
    return story.title if story is not None else story_id
