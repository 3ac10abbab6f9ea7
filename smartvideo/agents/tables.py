"""The agent tables: API keys (secrets stored hashed) and the audit log of pushes.

The audit log holds who pushed, when, for which customer id and story, over which channel and
with what outcome. It never holds record data (bill totals, names, addresses): it is kept longer
than rendered videos, so it must not become a second copy of the customer file.
"""

from sqlalchemy import Boolean, Column, DateTime, Integer, String, Table, Text, true

from smartvideo.storage.database import metadata

agent_keys_table = Table(
    "agent_keys",
    metadata,
    Column("key_id", String(16), primary_key=True),  # the public part of sv_<key_id>_<secret>
    Column("name", String(100), nullable=False, index=True),
    Column("secret_hash", String(200), nullable=False),  # scrypt$n$r$p$salt$hash
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("active", Boolean, nullable=False, server_default=true()),
)

audit_log_table = Table(
    "agent_audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor", String(120), nullable=False, index=True),  # agent name, or campaign:<user>
    Column("key_id", String(16)),  # null for campaigns run from the command line
    Column("source", String(20), nullable=False),  # api | page | campaign
    Column("customer_id", String(200)),
    Column("story", String(100)),
    Column("channel", String(20)),
    Column("link_id", String(16)),
    Column("outcome", String(20), nullable=False),  # sent | rejected | rate_limited | failed | unauthorized
    Column("detail", Text),  # the rejection or failure reason; never record data
)
