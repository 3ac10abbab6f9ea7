"""The analytics tables: raw beacon batches and events, per-view state, and counters kept as we ingest.

Reports read only the counters (`analytics_daily`, `analytics_seconds`, `analytics_scenes`,
`analytics_viewers`, `analytics_scene_lists`, `analytics_clicks`, `analytics_reach`), which are small
whatever the number of views, so a report never loops over views (but for a funnel filtered by date,
variant or device: see report_queries).
Dimensions: story, variant, device, campaign ('' when none) and the UTC day the view opened.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    false,
)

from smartvideo.links import links_table
from smartvideo.storage.database import metadata


def _dims() -> list[Column]:
    return [
        Column("story", String(100), primary_key=True),
        Column("variant", String(50), primary_key=True),
        Column("device", String(20), primary_key=True),
        Column("campaign", String(100), primary_key=True),
        Column("day", Date, primary_key=True),
    ]


batches_table = Table(
    "analytics_batches",
    metadata,
    Column("view_id", String(64), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("events", Integer, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

events_table = Table(
    "analytics_events",
    metadata,
    Column("view_id", String(64), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("idx", SmallInteger, primary_key=True),
    Column("type", String(8), nullable=False),
    Column("second", Integer),
    Column("t", Float),
    Column("t_from", Float),
    Column("message", String(200)),
)

# batches acknowledged but not folded yet: the beacon appends here (its analytics_batches row answers
# a replay at once), the folder (`inbox_folder`) folds them into events, views and counters and
# deletes them in the same transaction
inbox_table = Table(
    "analytics_inbox",
    metadata,
    Column("view_id", String(64), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("link_id", String(16), nullable=False),
    Column("device", String(20), nullable=False),
    Column("events", Text, nullable=False),  # the batch's events as the beacon sent them (JSON)
    Column("received_at", DateTime(timezone=True), nullable=False),
)

# batches stored before their render had a plan (variant unknown): folded into their view once it has
pending_table = Table(
    "analytics_pending",
    metadata,
    Column("view_id", String(64), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("link_id", String(16), nullable=False, index=True),
    Column("device", String(20), nullable=False),
)

views_table = Table(
    "analytics_views",
    metadata,
    Column("view_id", String(64), primary_key=True),
    Column("link_id", String(16), nullable=False, index=True),
    Column("story", String(100), nullable=False),
    Column("variant", String(50), nullable=False),
    Column("device", String(20), nullable=False),
    Column("campaign", String(100), nullable=False),
    Column("day", Date, nullable=False),
    Column("n_seconds", Integer),  # from the render, once it is ready
    Column("scenes", String(4000)),  # JSON [{id, start, end}] of that render
    Column("watched", LargeBinary, nullable=False),
    Column("watched_count", Integer, nullable=False),
    Column("rewatches", Integer, nullable=False),
    Column("opened", Boolean, nullable=False),
    Column("played", Boolean, nullable=False),
    Column("completed", Boolean, nullable=False),
    Column("cta", Boolean, nullable=False),
    Column("errored", Boolean, nullable=False),
    Column("entered", BigInteger, nullable=False),
    Column("continued", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("channel", String(20), nullable=False, server_default="none"),  # the link's
    Column("story_version", String(40), nullable=False, server_default=""),  # the render's
    Column("notified", Boolean, nullable=False, server_default=false()),  # the view webhook has posted it
)
Index("ix_analytics_views_story", views_table.c.story, views_table.c.day)

daily_table = Table(
    "analytics_daily",
    metadata,
    *_dims(),
    Column("views", Integer, nullable=False, server_default="0"),
    Column("new_viewers", Integer, nullable=False, server_default="0"),  # first view of a link
    Column("opens", Integer, nullable=False, server_default="0"),
    Column("plays", Integer, nullable=False, server_default="0"),
    Column("completions", Integer, nullable=False, server_default="0"),
    Column("halves", Integer, nullable=False, server_default="0"),
    Column("ctas", Integer, nullable=False, server_default="0"),
    Column("errors", Integer, nullable=False, server_default="0"),
    Column("rewatch_views", Integer, nullable=False, server_default="0"),
    Column("watched_seconds", BigInteger, nullable=False, server_default="0"),
    Column("rewatched_seconds", BigInteger, nullable=False, server_default="0"),
    Column("watched_sum", Float, nullable=False, server_default="0"),
    Column("watched_sq_sum", Float, nullable=False, server_default="0"),
    Column("max_seconds", Integer, nullable=False, server_default="0"),
    # customers (links) with each engagement interaction, counted once per customer under the
    # dimensions of the customer's first view: the mean engagement score without a scan
    Column("viewers_opened", Integer, nullable=False, server_default="0"),
    Column("viewers_half", Integer, nullable=False, server_default="0"),
    Column("viewers_completed", Integer, nullable=False, server_default="0"),
    Column("viewers_cta", Integer, nullable=False, server_default="0"),
)

seconds_table = Table(
    "analytics_seconds",
    metadata,
    *_dims(),
    Column("second", Integer, primary_key=True),
    Column("views", Integer, nullable=False, server_default="0"),
    Column("rewatches", Integer, nullable=False, server_default="0"),
)

scenes_table = Table(
    "analytics_scenes",
    metadata,
    *_dims(),
    Column("scene", String(100), primary_key=True),
    Column("position", Integer, nullable=False, server_default="0"),
    Column("present", Integer, nullable=False, server_default="0"),  # views whose render had it
    Column("entered", Integer, nullable=False, server_default="0"),
    Column("continued", Integer, nullable=False, server_default="0"),
    Column("start_sum", Float, nullable=False, server_default="0"),
    Column("end_sum", Float, nullable=False, server_default="0"),
)

viewers_table = Table(
    "analytics_viewers",
    metadata,
    Column("story", String(100), primary_key=True),
    Column("link_id", String(16), primary_key=True),
    Column("customer_id", String(200), nullable=False),
    Column("variant", String(50), nullable=False),
    Column("device", String(20), nullable=False),  # of the first view
    Column("campaign", String(100), nullable=False),
    Column("first_day", Date, nullable=False),
    Column("views", Integer, nullable=False, server_default="0"),
    Column("opened", SmallInteger, nullable=False, server_default="0"),
    Column("half", SmallInteger, nullable=False, server_default="0"),
    Column("completed", SmallInteger, nullable=False, server_default="0"),
    Column("cta", SmallInteger, nullable=False, server_default="0"),
    Column("reached", Integer, nullable=False, server_default="0"),  # funnel stages, bit i = REACH_STAGES[i]
)
Index("ix_analytics_viewers_story_day", viewers_table.c.story, viewers_table.c.first_day)
# the engagement top list walks this index one flag combination at a time, best score first
Index(
    "ix_analytics_viewers_flags",
    viewers_table.c.story,
    viewers_table.c.cta,
    viewers_table.c.completed,
    viewers_table.c.half,
    viewers_table.c.opened,
    viewers_table.c.customer_id,
)

# ---- counters that spare reports a pass over the views --------------------------------------------

# the scene list of the views' renders per dimension cell (the greatest, as MAX(scenes) over the views)
scene_lists_table = Table(
    "analytics_scene_lists",
    metadata,
    *_dims(),
    Column("scenes", String(4000), nullable=False),
)

# CTA clicks in the scene showing at their time, chapter jumps to the scene they jump to
clicks_table = Table(
    "analytics_clicks",
    metadata,
    *_dims(),
    Column("scene", String(100), primary_key=True),
    Column("cta", Integer, nullable=False, server_default="0"),
    Column("chapter", Integer, nullable=False, server_default="0"),
)

# links (customers) reaching each funnel stage, each counted once per stage, under the dimensions of
# the view where the link reached it first (`analytics_viewers.reached` holds the link's stages)
reach_table = Table(
    "analytics_reach",
    metadata,
    *_dims(),
    Column("channel", String(20), primary_key=True),
    Column("opened", Integer, nullable=False, server_default="0"),
    Column("played", Integer, nullable=False, server_default="0"),
    Column("watched_25", Integer, nullable=False, server_default="0"),
    Column("watched_50", Integer, nullable=False, server_default="0"),
    Column("watched_75", Integer, nullable=False, server_default="0"),
    Column("watched_100", Integer, nullable=False, server_default="0"),
    Column("cta", Integer, nullable=False, server_default="0"),
)

# the report counts a story's links per channel and variant from this index alone
Index("ix_links_story_reach", links_table.c.story, links_table.c.channel, links_table.c.variant,
      links_table.c.campaign, links_table.c.created_at, links_table.c.delivered_at)
