"""Agent API keys: `sv_<key_id>_<secret>`, shown once, stored as an scrypt hash of the secret.

The key id is public (it names the row, appears in the audit log and keys the rate limit); only
the secret proves the holder. A lookup by key id then a constant-time compare of the hash means a
wrong key costs one scrypt, and the database never holds anything that opens the API.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update

from smartvideo.agents.errors import InvalidAgentKey, UnknownAgent
from smartvideo.agents.tables import agent_keys_table

PREFIX = "sv"
_KEY = re.compile(r"^sv_([a-z2-7]{10})_([A-Za-z0-9_-]{43})$")
_NAME = re.compile(r"^[\w .@'-]{1,100}$")
# scrypt cost: 16 MiB and ~40 ms per check. Secrets are 256 random bits, so the hash guards a
# stolen database rather than a guessable password; the parameters live in each stored hash.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


@dataclass(frozen=True, slots=True)
class AgentKey:
    """An agent's key as stored: never the secret."""

    key_id: str
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new key: `plaintext` is shown to the user once and then forgotten."""

    agent: AgentKey
    plaintext: str


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        secret.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32
    )


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(secret, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    b64 = base64.urlsafe_b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def secret_matches(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = _scrypt(secret, base64.urlsafe_b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, base64.urlsafe_b64decode(digest))


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # SQLite drops the zone


def _row_to_agent(row) -> AgentKey:  # noqa: ANN001
    return AgentKey(
        key_id=row.key_id,
        name=row.name,
        created_at=_aware(row.created_at),  # type: ignore[arg-type]
        last_used_at=_aware(row.last_used_at),
        revoked_at=_aware(row.revoked_at),
    )


def issue_key(engine: Engine, name: str, now: dt.datetime | None = None) -> IssuedKey:
    """Make a key for agent `name`; the plaintext is in the result and nowhere else."""
    name = name.strip()
    if not _NAME.match(name):
        raise UnknownAgent("an agent name is 1 to 100 letters, digits, spaces or . @ ' - _")
    now = now or dt.datetime.now(dt.UTC)
    # base32 lower-case: no '_' in the id, so the key splits unambiguously on its separators.
    key_id = base64.b32encode(secrets.token_bytes(10)).decode().lower()[:10]
    secret = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(
            insert(agent_keys_table).values(
                key_id=key_id,
                name=name,
                secret_hash=hash_secret(secret),
                created_at=now,
                active=True,
            )
        )
    agent = AgentKey(key_id=key_id, name=name, created_at=now, last_used_at=None, revoked_at=None)
    return IssuedKey(agent=agent, plaintext=f"{PREFIX}_{key_id}_{secret}")


def presented_key_id(presented: str | None) -> str | None:
    """The public key id of a key in the right format (for the audit of a refused one)."""
    match = _KEY.match((presented or "").strip())
    return match.group(1) if match else None


def authenticate(engine: Engine, presented: str | None, now: dt.datetime | None = None) -> AgentKey:
    """The active agent holding `presented`; InvalidAgentKey otherwise."""
    match = _KEY.match((presented or "").strip())
    if not match:
        raise InvalidAgentKey()
    key_id, secret = match.groups()
    with engine.connect() as conn:
        row = conn.execute(
            select(agent_keys_table).where(agent_keys_table.c.key_id == key_id)
        ).first()
    if row is None or not row.active or row.revoked_at is not None:
        raise InvalidAgentKey()
    if not secret_matches(secret, row.secret_hash):
        raise InvalidAgentKey()
    now = now or dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            update(agent_keys_table)
            .where(agent_keys_table.c.key_id == key_id)
            .values(last_used_at=now)
        )
    return _row_to_agent(row)


def list_keys(engine: Engine, include_revoked: bool = True) -> list[AgentKey]:
    query = select(agent_keys_table).order_by(
        agent_keys_table.c.name, agent_keys_table.c.created_at
    )
    if not include_revoked:
        query = query.where(agent_keys_table.c.revoked_at.is_(None))
    with engine.connect() as conn:
        return [_row_to_agent(row) for row in conn.execute(query)]


def revoke(engine: Engine, name_or_key_id: str, now: dt.datetime | None = None) -> list[AgentKey]:
    """Revoke the key with this id, or every active key of the agent with this name."""
    now = now or dt.datetime.now(dt.UTC)
    table = agent_keys_table
    wanted = name_or_key_id.strip()
    if wanted.startswith(f"{PREFIX}_") and _KEY.match(wanted):
        wanted = _KEY.match(wanted)[1]  # type: ignore[index]  # a whole key pasted in: use its id
    active = table.c.revoked_at.is_(None)
    with engine.begin() as conn:
        rows = conn.execute(
            select(table).where(active, (table.c.key_id == wanted) | (table.c.name == wanted))
        ).all()
        if not rows:
            raise UnknownAgent(f"no active agent key with id or name '{name_or_key_id}'")
        ids = [row.key_id for row in rows]
        conn.execute(
            update(table).where(table.c.key_id.in_(ids)).values(revoked_at=now, active=False)
        )
    return [
        AgentKey(
            key_id=r.key_id,
            name=r.name,
            created_at=_aware(r.created_at),  # type: ignore[arg-type]
            last_used_at=_aware(r.last_used_at),
            revoked_at=now,
        )
        for r in rows
    ]


def active_key(engine: Engine, key_id: str) -> AgentKey:
    """The agent behind a logged-in page session, re-read each request so a revoke takes effect."""
    with engine.connect() as conn:
        row = conn.execute(
            select(agent_keys_table).where(agent_keys_table.c.key_id == key_id)
        ).first()
    if row is None or row.revoked_at is not None or not row.active:
        raise InvalidAgentKey()
    return _row_to_agent(row)
