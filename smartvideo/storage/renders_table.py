"""The renders table: one row per video made for a link and device (status, duration, scenes)."""

from sqlalchemy import Column, DateTime, Float, ForeignKey, String, Table, Text

from smartvideo.storage.database import metadata

renders_table = Table(
    "renders",
    metadata,
    Column("id", String(64), primary_key=True),  # job key: link id + device
    Column("link_id", String(16), ForeignKey("links.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("story", String(100), nullable=False, index=True),
    Column("device", String(20), nullable=False),
    Column("variant", String(50)),
    Column("story_version", String(40)),  # set with the variant as soon as the plan exists
    Column("status", String(20), nullable=False),  # queued | rendering | ready | failed
    Column("progress", Float, nullable=False, server_default="0"),
    Column("duration", Float),
    Column("scenes", Text),  # JSON: [{id, start, end}] from the render's plan
    Column("error", Text),  # the reason, never customer data
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
)
