"""Analytics that tell the truth: what a render is (story version) before its video exists, when a
link was delivered, and each view's channel and story version.

Revision ID: 0004_analytics_truth
Revises: 0002_analytics
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_analytics_truth"
down_revision = "0002_analytics"
branch_labels = ("analytics_truth",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("renders") as batch:
        batch.add_column(sa.Column("story_version", sa.String(40)))
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("analytics_views") as batch:
        batch.add_column(sa.Column("channel", sa.String(20), nullable=False, server_default="none"))
        batch.add_column(sa.Column("story_version", sa.String(40), nullable=False, server_default=""))
        batch.add_column(sa.Column("notified", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_index("ix_analytics_views_story", "analytics_views", ["story", "day"])
    op.create_table(
        "analytics_pending",
        sa.Column("view_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("link_id", sa.String(16), nullable=False, index=True),
        sa.Column("device", sa.String(20), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("analytics_pending")
    op.drop_index("ix_analytics_views_story", "analytics_views")
    with op.batch_alter_table("analytics_views") as batch:
        batch.drop_column("notified")
        batch.drop_column("story_version")
        batch.drop_column("channel")
    with op.batch_alter_table("links") as batch:
        batch.drop_column("delivered_at")
    with op.batch_alter_table("renders") as batch:
        batch.drop_column("story_version")
