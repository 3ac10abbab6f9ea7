"""Analytics: beacon batches and events, per-view state, and the counters reports read.

Revision ID: 0002_analytics
Revises: 0001_links
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_analytics"
down_revision = "0001_links"
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


def _counters(*names: str, kind=sa.Integer) -> list[sa.Column]:  # noqa: ANN001
    return [sa.Column(name, kind, nullable=False, server_default="0") for name in names]


def upgrade() -> None:
    op.create_table(
        "analytics_batches",
        sa.Column("view_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "analytics_events",
        sa.Column("view_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("idx", sa.SmallInteger, primary_key=True),
        sa.Column("type", sa.String(8), nullable=False),
        sa.Column("second", sa.Integer),
        sa.Column("t", sa.Float),
        sa.Column("t_from", sa.Float),
        sa.Column("message", sa.String(200)),
    )
    op.create_table(
        "analytics_views",
        sa.Column("view_id", sa.String(64), primary_key=True),
        sa.Column("link_id", sa.String(16), nullable=False, index=True),
        sa.Column("story", sa.String(100), nullable=False),
        sa.Column("variant", sa.String(50), nullable=False),
        sa.Column("device", sa.String(20), nullable=False),
        sa.Column("campaign", sa.String(100), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("n_seconds", sa.Integer),
        sa.Column("scenes", sa.String(4000)),
        sa.Column("watched", sa.LargeBinary, nullable=False),
        sa.Column("watched_count", sa.Integer, nullable=False),
        sa.Column("rewatches", sa.Integer, nullable=False),
        *[
            sa.Column(flag, sa.Boolean, nullable=False)
            for flag in ("opened", "played", "completed", "cta", "errored")
        ],
        sa.Column("entered", sa.BigInteger, nullable=False),
        sa.Column("continued", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "analytics_daily",
        *_dims(),
        *_counters(
            "views",
            "new_viewers",
            "opens",
            "plays",
            "completions",
            "halves",
            "ctas",
            "errors",
            "rewatch_views",
        ),
        *_counters("watched_seconds", "rewatched_seconds", kind=sa.BigInteger),
        *_counters("watched_sum", "watched_sq_sum", kind=sa.Float),
        *_counters(
            "max_seconds", "viewers_opened", "viewers_half", "viewers_completed", "viewers_cta"
        ),
    )
    op.create_table(
        "analytics_seconds",
        *_dims(),
        sa.Column("second", sa.Integer, primary_key=True),
        *_counters("views", "rewatches"),
    )
    op.create_table(
        "analytics_scenes",
        *_dims(),
        sa.Column("scene", sa.String(100), primary_key=True),
        *_counters("position", "present", "entered", "continued"),
        *_counters("start_sum", "end_sum", kind=sa.Float),
    )
    op.create_table(
        "analytics_viewers",
        sa.Column("story", sa.String(100), primary_key=True),
        sa.Column("link_id", sa.String(16), primary_key=True),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("variant", sa.String(50), nullable=False),
        sa.Column("device", sa.String(20), nullable=False),
        sa.Column("campaign", sa.String(100), nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        *_counters("views"),
        *_counters("opened", "half", "completed", "cta", kind=sa.SmallInteger),
    )
    op.create_index("ix_analytics_viewers_story_day", "analytics_viewers", ["story", "first_day"])
    op.create_index(
        "ix_analytics_viewers_flags",
        "analytics_viewers",
        ["story", "cta", "completed", "half", "opened", "customer_id"],
    )
    # reports count the links made per story and variant: an index they can count from alone
    op.create_index(
        "ix_links_story_report", "links", ["story", "variant", "campaign", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_links_story_report", "links")
    op.drop_index("ix_analytics_viewers_flags", "analytics_viewers")
    op.drop_index("ix_analytics_viewers_story_day", "analytics_viewers")
    for name in (
        "analytics_viewers",
        "analytics_scenes",
        "analytics_seconds",
        "analytics_daily",
        "analytics_views",
        "analytics_events",
        "analytics_batches",
    ):
        op.drop_table(name)
