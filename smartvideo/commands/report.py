"""`smartvideo report --story ID [--format text|csv|json|html] [--from --to --variant --device --campaign]`."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from smartvideo.errors import SmartVideoError


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a date looks like 2026-11-23, not {text!r}") from None


def cmd_report(args: argparse.Namespace) -> int:
    from smartvideo.analytics.engagement import load_engagement
    from smartvideo.analytics.formatters import render
    from smartvideo.analytics.ingest import BeaconStore
    from smartvideo.analytics.report_model import Filters
    from smartvideo.analytics.report_queries import story_report
    from smartvideo.config import load_config
    from smartvideo.settings import find_content_root
    from smartvideo.storage.database import engine_for

    overrides = {"database_url": args.database} if args.database else {}
    config = load_config(overrides=overrides)
    root = find_content_root(args.root or config.content_root)
    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise SmartVideoError("--from must not be after --to")
    filters = Filters(args.date_from, args.date_to, args.variant, args.device, args.campaign)
    engine = engine_for(config.sql_url)
    BeaconStore(engine).fold_pending()  # views that waited on their render's plan count from now on
    if args.customer:
        from smartvideo.analytics.viewer_report import customer_views, viewer_json, viewer_text

        if args.format not in ("text", "json"):
            raise SmartVideoError("report --customer writes text or json")
        views = customer_views(engine, args.story, args.customer)
        text = (viewer_json if args.format == "json" else viewer_text)(args.story, args.customer, views)
        text += "\n" if args.format == "json" else ""
    else:
        report = story_report(
            engine,
            args.story,
            filters,
            load_engagement(args.engagement, content_root=root),
        )
        text = render(report, args.format, root / "templates")
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(args.out)
    else:
        sys.stdout.write(text)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("report", help="drop-off report of a story (retention, rates, variants)")
    p.add_argument("--story", required=True)
    p.add_argument("--format", default="text", choices=["text", "csv", "json", "html"])
    p.add_argument("--from", dest="date_from", type=_date, help="first day (UTC), YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", type=_date, help="last day (UTC), YYYY-MM-DD")
    p.add_argument("--variant")
    p.add_argument("--device")
    p.add_argument("--campaign")
    p.add_argument("--customer", help="one customer's views: heatmap row, events, variant, device, channel")
    p.add_argument("--engagement", help="engagement points YAML (default: engagement.yaml in the content root)")
    p.add_argument("--database", help="SQL URL (default: the configured database)")
    p.add_argument("--out", help="write to this file instead of stdout")
    p.set_defaults(func=cmd_report)
