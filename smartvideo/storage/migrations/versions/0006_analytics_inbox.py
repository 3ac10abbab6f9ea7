"""The beacon inbox: batches acknowledged and not folded yet (see analytics/inbox_folder.py).

Revision ID: 0006_analytics_inbox
Revises: 0005_analytics_counters
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_analytics_inbox"
down_revision = "0005_analytics_counters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_inbox",
        sa.Column("view_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("link_id", sa.String(16), nullable=False),
        sa.Column("device", sa.String(20), nullable=False),
        sa.Column("events", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("analytics_inbox")
