"""Video links (one row per link sent) and renders (one row per video made for a link+device).

Revision ID: 0001_links
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_links"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "links",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("story", sa.String(100), nullable=False, index=True),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("variant", sa.String(50)),
        sa.Column("campaign", sa.String(100), index=True),
        sa.Column("channel", sa.String(20), nullable=False, server_default="none"),
        sa.Column("created_by", sa.String(100)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )


    op.create_table(
        "renders",
        sa.Column("id", sa.String(64), primary_key=True),  # job key: link id + device
        sa.Column("link_id", sa.String(16), sa.ForeignKey("links.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("story", sa.String(100), nullable=False, index=True),
        sa.Column("device", sa.String(20), nullable=False),
        sa.Column("variant", sa.String(50)),
        sa.Column("status", sa.String(20), nullable=False),  # queued | rendering | ready | failed
        sa.Column("progress", sa.Float, nullable=False, server_default="0"),
        sa.Column("duration", sa.Float),
        sa.Column("scenes", sa.Text),  # JSON: [{id, start, end}] from the render's plan
        sa.Column("error", sa.Text),  # reason, never customer data
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("renders")
    op.drop_table("links")
