"""One viewer at a time, and every view as a row: read from the per-view state and the raw events.

A customer's views (variant, device, channel, story version, what they did) with a heatmap row per
view (how many times each second was watched: 1 once, 2+ rewatched), and the CSV export of a
story's views. No personal data beyond the customer id.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from sqlalchemy import Engine, func, select

from smartvideo.analytics.report_model import Filters
from smartvideo.analytics.tables import events_table, views_table
from smartvideo.links import links_table

VIEW_COLUMNS = ("view_id", "customer_id", "variant", "device", "channel", "campaign", "story_version", "day",
                "video_seconds", "seconds_watched", "seconds_rewatched", "opened", "played", "completed", "cta")


@dataclass(frozen=True, slots=True)
class ViewerView:
    view_id: str
    customer_id: str
    variant: str
    device: str
    channel: str
    campaign: str
    story_version: str
    day: dt.date
    video_seconds: int | None
    seconds_watched: int
    seconds_rewatched: int
    opened: bool
    played: bool
    completed: bool
    cta: bool
    heatmap: tuple[int, ...] = ()  # times each second was watched
    events: tuple[dict[str, object], ...] = ()  # in order: type and time (no watch events)


def _views_query(story: str, filters: Filters, customer_id: str | None = None):  # noqa: ANN202
    v, c = views_table.c, links_table.c
    query = (
        select(views_table, c.customer_id)
        .join(links_table, links_table.c.id == v.link_id)
        .where(v.story == story)
        .order_by(v.created_at, v.view_id)
    )
    if customer_id is not None:
        query = query.where(c.customer_id == customer_id)
    for name, column in (("variant", v.variant), ("device", v.device), ("campaign", v.campaign)):
        value = getattr(filters, name)
        if value is not None:
            query = query.where(column == value)
    if filters.date_from:
        query = query.where(v.day >= filters.date_from)
    if filters.date_to:
        query = query.where(v.day <= filters.date_to)
    return query


def _view(row, heatmap: tuple[int, ...] = (), events: tuple[dict[str, object], ...] = ()) -> ViewerView:  # noqa: ANN001
    day = row.day if isinstance(row.day, dt.date) else dt.date.fromisoformat(str(row.day))
    return ViewerView(row.view_id, row.customer_id, row.variant, row.device, row.channel, row.campaign,
                      row.story_version, day, row.n_seconds, row.watched_count, row.rewatches, row.opened,
                      row.played, row.completed, row.cta, heatmap, events)


def customer_views(engine: Engine, story: str, customer_id: str) -> list[ViewerView]:
    """Every view of one customer's links to the story, each with its heatmap row and events."""
    e = events_table.c
    result = []
    with engine.connect() as conn:
        for row in conn.execute(_views_query(story, Filters(), customer_id)).all():
            counts: dict[int, int] = dict(conn.execute(  # type: ignore[arg-type]
                select(e.second, func.count()).where(e.view_id == row.view_id, e.type == "watch").group_by(e.second)
            ).all())
            length = row.n_seconds or (max(counts) + 1 if counts else 0)
            heatmap = tuple(int(counts.get(s, 0)) for s in range(length))
            events = tuple(
                {"type": kind, **({"t": t} if t is not None else {}),
                 **({"scene": second} if kind == "chapter" else {})}
                for kind, t, second in conn.execute(
                    select(e.type, e.t, e.second).where(e.view_id == row.view_id, e.type != "watch")
                    .order_by(e.seq, e.idx)
                ).all()
            )
            result.append(_view(row, heatmap, events))
    return result


def views_csv(engine: Engine, story: str, filters: Filters | None = None) -> Iterator[str]:
    """The story's views as CSV, one row per view, streamed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(VIEW_COLUMNS)
    yield out.getvalue()
    with engine.connect() as conn:
        for row in conn.execution_options(yield_per=500).execute(_views_query(story, filters or Filters())):
            out.seek(0)
            out.truncate()
            view = _view(row)
            writer.writerow([getattr(view, name) if not isinstance(getattr(view, name), bool)
                             else int(getattr(view, name)) for name in VIEW_COLUMNS])
            yield out.getvalue()


def viewer_json(story: str, customer_id: str, views: list[ViewerView]) -> str:
    return json.dumps({"story": story, "customer_id": customer_id,
                       "views": [dict(asdict(v), day=v.day.isoformat(), heatmap=list(v.heatmap),
                                      events=list(v.events)) for v in views]}, indent=2)


def viewer_text(story: str, customer_id: str, views: list[ViewerView]) -> str:
    """Text: one block per view; the heatmap row uses . (not watched), 1-9 (times watched)."""
    lines = [f"Customer {customer_id}, story {story}: {len(views)} view(s)"]
    for v in views:
        row = "".join("." if n == 0 else str(min(n, 9)) for n in v.heatmap)
        done = [name for name in ("opened", "played", "completed", "cta") if getattr(v, name)]
        lines += [
            "",
            f"  view {v.view_id} on {v.day.isoformat()}: variant {v.variant or '-'}, device {v.device}, "
            f"channel {v.channel}, story version {v.story_version or '-'}",
            f"  watched {v.seconds_watched} of {v.video_seconds if v.video_seconds else '?'} s, "
            f"rewatched {v.seconds_rewatched} s; {', '.join(done) or 'nothing yet'}",
            f"  heatmap |{row}|",
            "  events: " + (", ".join(
                str(ev["type"]) + (f"@{ev['t']}" if "t" in ev else "") for ev in v.events) or "none"),
        ]
    return "\n".join(lines) + "\n"
