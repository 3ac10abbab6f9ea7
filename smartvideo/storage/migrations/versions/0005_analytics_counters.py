"""Counters that spare the report its passes over the views: scene lists, clicks per scene and the
links reaching each funnel stage (with each link's stages on its viewer row), filled from the views
already recorded; an index that lets the links be counted per channel and variant from the index.

Revision ID: 0005_analytics_counters
Revises: 0004_analytics_truth
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_analytics_counters"
down_revision = "0004_analytics_truth"
branch_labels = None
depends_on = None


def _dims() -> list[sa.Column]:
    return [
        sa.Column("story", sa.String(100), primary_key=True),
        sa.Column("variant", sa.String(50), primary_key=True),
        sa.Column("device", sa.String(20), primary_key=True),
        sa.Column("campaign", sa.String(100), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
    ]


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer, nullable=False, server_default="0")


def upgrade() -> None:
    op.create_table("analytics_scene_lists", *_dims(), sa.Column("scenes", sa.String(4000), nullable=False))
    op.create_table("analytics_clicks", *_dims(), sa.Column("scene", sa.String(100), primary_key=True),
                    _count("cta"), _count("chapter"))
    op.create_table("analytics_reach", *_dims(), sa.Column("channel", sa.String(20), primary_key=True),
                    *[_count(name) for name in ("opened", "played", "watched_25", "watched_50", "watched_75",
                                                "watched_100", "cta")])
    with op.batch_alter_table("analytics_viewers") as batch:
        batch.add_column(sa.Column("reached", sa.Integer, nullable=False, server_default="0"))
    op.create_index("ix_links_story_reach", "links",
                    ["story", "channel", "variant", "campaign", "created_at", "delivered_at"])
    from smartvideo.analytics.counter_backfill import backfill_counters

    backfill_counters(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_links_story_reach", "links")
    with op.batch_alter_table("analytics_viewers") as batch:
        batch.drop_column("reached")
    op.drop_table("analytics_reach")
    op.drop_table("analytics_clicks")
    op.drop_table("analytics_scene_lists")
