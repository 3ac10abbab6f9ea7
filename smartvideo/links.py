"""Video links: short, opaque, signed, expiring tokens that point at a stored link row.

A token is a random link id (72 bits) followed by a truncated HMAC of it. It carries no personal
data: the customer id lives only in the database. A forged or altered token fails the HMAC check
before any lookup, so the answer never hints whether a customer exists.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import Column, DateTime, Engine, Insert, String, Table, Update, insert, select, update

from smartvideo.errors import LinkError, LinkExpired, SmartVideoError
from smartvideo.storage.database import metadata

links_table = Table(
    "links",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("story", String(100), nullable=False, index=True),
    Column("customer_id", String(200), nullable=False),
    Column("variant", String(50)),
    Column("campaign", String(100), index=True),
    Column("channel", String(20), nullable=False, server_default="none"),
    Column("created_by", String(100)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True)),  # set by the sender when the invitation went out
    # A decision link (nba) names a decision; its story is '' until the first click chooses one.
    Column("decision", String(100)),
)

ID_LENGTH = 12  # 9 random bytes, base64url
SIG_LENGTH = 11  # 64 bits of HMAC-SHA256, base64url
_TOKEN = re.compile(rf"^[A-Za-z0-9_-]{{{ID_LENGTH + SIG_LENGTH}}}$")
_TTL = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True, slots=True)
class Link:
    id: str
    token: str
    story: str
    customer_id: str
    variant: str | None
    campaign: str | None
    channel: str
    created_by: str | None
    created_at: dt.datetime
    expires_at: dt.datetime
    decision: str | None = None

    @property
    def undecided(self) -> bool:
        """A decision link whose story is not chosen yet (at its first click)."""
        return bool(self.decision) and not self.story


def parse_ttl(text: str) -> dt.timedelta:
    """'7d', '12h', '30m', '2w' -> timedelta."""
    match = _TTL.match(text.strip().lower())
    if not match or int(match[1]) <= 0:
        raise SmartVideoError(f"a link lifetime looks like 7d, 12h, 30m or 2w, not {text!r}")
    return dt.timedelta(seconds=int(match[1]) * _UNITS[match[2]])


def _signature(secret: str, link_id: str) -> str:
    digest = hmac.new(secret.encode(), b"link\x00" + link_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:8]).decode().rstrip("=")


def token_for(secret: str, link_id: str) -> str:
    return link_id + _signature(secret, link_id)


def verify_token(secret: str, token: str) -> str:
    """The link id in a genuine token; LinkError for anything forged, altered or malformed."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise LinkError("malformed link")
    link_id, signature = token[:ID_LENGTH], token[ID_LENGTH:]
    if not hmac.compare_digest(signature, _signature(secret, link_id)):
        raise LinkError("link signature does not match")
    return link_id


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # SQLite drops the zone


def _row_to_link(row, secret: str) -> Link:  # noqa: ANN001
    return Link(id=row.id, token=token_for(secret, row.id), story=row.story, customer_id=row.customer_id,
                variant=row.variant, campaign=row.campaign, channel=row.channel, created_by=row.created_by,
                created_at=_aware(row.created_at), expires_at=_aware(row.expires_at),
                decision=row.decision)


def create_link(engine: Engine, secret: str, story: str, customer_id: str, ttl: dt.timedelta,
                variant: str | None = None, campaign: str | None = None, channel: str = "none",
                created_by: str | None = None, now: dt.datetime | None = None,
                decision: str | None = None) -> Link:
    """Store a new link and return it with its token (a decision link passes story '')."""
    link, statement = new_link(secret, story, customer_id, ttl, variant=variant, campaign=campaign, channel=channel,
                               created_by=created_by, now=now, decision=decision)
    with engine.begin() as conn:
        conn.execute(statement)
    return link


def new_link(secret: str, story: str, customer_id: str, ttl: dt.timedelta, variant: str | None = None,
             campaign: str | None = None, channel: str = "none", created_by: str | None = None,
             now: dt.datetime | None = None, decision: str | None = None) -> tuple[Link, Insert]:
    """A new link and the insert that stores it, for a caller that writes it with its own rows."""
    now = now or dt.datetime.now(dt.UTC)
    link_id = base64.urlsafe_b64encode(secrets.token_bytes(9)).decode()
    row = {"id": link_id, "story": story, "customer_id": str(customer_id), "variant": variant,
           "campaign": campaign, "channel": channel, "created_by": created_by, "created_at": now,
           "expires_at": now + ttl, "decision": decision}
    return Link(token=token_for(secret, link_id), **row), insert(links_table).values(**row)  # type: ignore[arg-type]


def mark_delivered(engine: Engine, link_id: str, when: dt.datetime | None = None) -> None:
    """Record that the invitation carrying this link was delivered (the funnel's `delivered`);
    the first delivery counts, a repeated one changes nothing."""
    with engine.begin() as conn:
        conn.execute(delivered_update(link_id, when))


def delivered_update(link_id: str, when: dt.datetime | None = None) -> Update:
    """mark_delivered's statement, for a caller that writes it with its own in one transaction."""
    return (update(links_table).where(links_table.c.id == link_id, links_table.c.delivered_at.is_(None))
            .values(delivered_at=when or dt.datetime.now(dt.UTC)))


def link_by_id(engine: Engine, secret: str, link_id: str, now: dt.datetime | None = None) -> Link:
    """The stored link with this id (already verified); LinkError (unknown) or LinkExpired."""
    with engine.connect() as conn:
        row = conn.execute(select(links_table).where(links_table.c.id == link_id)).first()
    if row is None:
        raise LinkError("no such link")
    link = _row_to_link(row, secret)
    if (now or dt.datetime.now(dt.UTC)) >= link.expires_at:
        raise LinkExpired("link expired")
    return link


def resolve_link(engine: Engine, secret: str, token: str, now: dt.datetime | None = None) -> Link:
    """The link behind a token; LinkError (unknown/forged) or LinkExpired."""
    return link_by_id(engine, secret, verify_token(secret, token), now)


class LinkResolver:
    """The one way a token becomes a Link, for the web app, the jobs and the CLI.

    Genuine links are remembered in this process for `ttl` seconds (expiry is checked on every
    call): a viewer's page, status polls and media requests cost one SQL lookup, and a link
    deleted from the database stops working within that time. Forged tokens never reach SQL.
    """

    def __init__(self, engine: Engine, secret: str, ttl: float = 60.0, size: int = 50_000):
        self.engine, self.secret, self.ttl, self.size = engine, secret, ttl, size
        self._cache: dict[str, tuple[Link, float]] = {}

    def resolve(self, token: str) -> Link:
        now = time.monotonic()
        cached = self._cache.get(token)
        if cached is None or cached[1] < now:
            link = resolve_link(self.engine, self.secret, token)
            if link.undecided:
                return link  # its story is chosen at this click: never remember the empty one
            if len(self._cache) >= self.size:
                self._cache.clear()  # crude but bounded; a miss costs one indexed lookup
            self._cache[token] = (link, now + self.ttl)
            return link
        link = cached[0]
        if dt.datetime.now(dt.UTC) >= link.expires_at:
            raise LinkExpired("link expired")
        return link

    def by_id(self, link_id: str) -> Link:
        """A link the caller already trusts by id (a job's message); not cached."""
        return link_by_id(self.engine, self.secret, link_id)


def choose_story(engine: Engine, link_id: str, story: str, variant: str | None) -> bool:
    """Fix a decision link's story once; False when another request chose it first."""
    with engine.begin() as conn:
        done = conn.execute(update(links_table)
                            .where(links_table.c.id == link_id, links_table.c.story == "")
                            .values(story=story, variant=variant))
    return bool(done.rowcount)


def choose_variant(engine: Engine, link_id: str, variant: str) -> bool:
    """Fix a link's variant once (adaptive allocation); False when it already had one."""
    with engine.begin() as conn:
        done = conn.execute(update(links_table)
                            .where(links_table.c.id == link_id, links_table.c.variant.is_(None))
                            .values(variant=variant))
    return bool(done.rowcount)


def link_url(public_url: str, token: str, **query: str) -> str:
    base = f"{public_url.rstrip('/')}/v/{token}"
    extra = "&".join(f"{k}={v}" for k, v in query.items() if v)
    return f"{base}?{extra}" if extra else base
