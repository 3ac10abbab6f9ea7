"""Stored campaigns (target, channel, data fingerprint, run lock) and each customer's state in one.

Revision ID: 0004_campaign_store
Revises: 0003_agents
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_campaign_store"
down_revision = "0003_agents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("target_kind", sa.String(20), nullable=False),
        sa.Column("target_id", sa.String(100), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("options", sa.Text, nullable=False, server_default="{}"),
        sa.Column("data_fingerprint", sa.String(64), nullable=False),
        sa.Column("data_path", sa.Text),
        sa.Column("links_csv", sa.Text),
        sa.Column("created_by", sa.String(120)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lock_owner", sa.String(200)),
        sa.Column("lock_expires_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "campaign_customers",
        sa.Column(
            "campaign",
            sa.String(100),
            sa.ForeignKey("campaigns.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("customer_id", sa.String(200), primary_key=True),
        sa.Column("row", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("link_id", sa.String(16)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sends", sa.Integer, nullable=False, server_default="0"),
        sa.Column("delivered_to", sa.String(200)),
        sa.Column("render", sa.String(20)),
        sa.Column("reason", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_campaign_customers_state", "campaign_customers", ["campaign", "state"])


def downgrade() -> None:
    op.drop_table("campaign_customers")
    op.drop_table("campaigns")
