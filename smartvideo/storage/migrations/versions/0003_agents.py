"""Agent API keys (hashed) and the audit log of video pushes.

Revision ID: 0003_agents
Revises: 0001_links
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_agents"
down_revision = "0001_links"
branch_labels = ("agents",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_keys",
        sa.Column("key_id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, index=True),
        sa.Column("secret_hash", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "agent_audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("actor", sa.String(120), nullable=False, index=True),
        sa.Column("key_id", sa.String(16)),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("customer_id", sa.String(200)),
        sa.Column("story", sa.String(100)),
        sa.Column("channel", sa.String(20)),
        sa.Column("link_id", sa.String(16)),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("agent_audit_log")
    op.drop_table("agent_keys")
