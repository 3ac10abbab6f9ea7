"""`smartvideo campaign`: a link (and an invitation) for every customer in a file.

Each record goes through the same push as an agent's (checks, link, prerender, invitation,
audit), so a campaign video is exactly what an agent would have sent. A bad record is reported
and skipped; the run goes on. The CSV of links is written as the run goes and completed at the
end, so an interrupted run still leaves the links it made.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import getpass
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smartvideo.errors import SmartVideoError

EXIT_SOME_SKIPPED = 3  # the run finished, but some records were skipped or not delivered
CSV_FIELDS = (
    "row",
    "customer_id",
    "status",
    "url",
    "link_id",
    "channel",
    "delivered_to",
    "render",
    "reason",
)


@dataclass(frozen=True, slots=True)
class CampaignRow:
    row: int
    customer_id: str
    status: str  # sent | created | failed | skipped
    url: str = ""
    link_id: str = ""
    channel: str = ""
    delivered_to: str = ""
    render: str = ""
    reason: str = ""


def _config(args: argparse.Namespace):  # noqa: ANN202
    from smartvideo.config import load_config

    config = load_config()
    changes: dict[str, Any] = {}
    if getattr(args, "root", None):
        changes["content_root"] = Path(args.root)
    if getattr(args, "cache", None):
        changes["cache_dir"] = Path(args.cache)
    return config.with_changes(**changes) if changes else config


def _console():  # noqa: ANN202
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def run_campaign(args: argparse.Namespace) -> int:
    from rich.markup import escape
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from smartvideo.agents.push import Actor, pusher_for
    from smartvideo.data_sources import read_records
    from smartvideo.jobs.lifecycle import RenderJobs

    config = _config(args)
    records = read_records(Path(args.data))  # an unreadable file stops here: nothing to skip to
    renders = RenderJobs.from_config(config)
    renderer = renders.renderer
    if args.story not in renderer.library.stories:
        raise SmartVideoError(
            f"unknown story '{args.story}' (known: {', '.join(sorted(renderer.library.stories))})"
        )
    name = args.name or f"{args.story}-{dt.datetime.now(dt.UTC).strftime('%Y%m%d-%H%M%S')}"
    pusher = pusher_for(config, renders.engine, renderer, start_render=renders.start)
    actor = Actor(name=f"campaign:{_user()}", source="campaign")
    out = Path(args.out or f"{name}-links.csv")
    console = _console()
    counts: Counter[str] = Counter()
    rendering: list[tuple[Any, str]] = []
    seen: set[str] = set()
    started = time.perf_counter()

    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()

        def emit(row: CampaignRow) -> None:
            counts[row.status] += 1
            writer.writerow({f: getattr(row, f) for f in CSV_FIELDS})
            if row.status in ("skipped", "failed"):
                what = "skipped" if row.status == "skipped" else "not delivered"
                progress.console.print(
                    f"[yellow]{what}[/] record {row.row}"
                    f"{f' ({escape(row.customer_id)})' if row.customer_id else ''}: "
                    f"{escape(row.reason)}"
                )

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, transient=False, disable=args.quiet) as progress:
            task = progress.add_task(f"campaign {name}", total=len(records))
            try:
                for n, record in enumerate(records, start=1):
                    emit(_one(n, record, args, name, pusher, actor, seen, rendering))
                    progress.advance(task)
            finally:
                handle.flush()
                partial.replace(out)  # interrupted or not, the links made so far are kept
            if rendering and renders.mode == "embedded":
                _wait_for_renders(renders, rendering, progress, config.render_time_limit)
    renders.close()

    summary = ", ".join(
        f"{counts[k]} {k}" for k in ("sent", "created", "failed", "skipped") if counts[k]
    )
    console.print(
        f"campaign {name}: {len(records)} records: {summary or 'nothing to do'} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    if rendering and renders.mode != "embedded":
        console.print(f"{len(rendering)} videos queued for the render workers")
    console.print(f"links: {out}")
    return EXIT_SOME_SKIPPED if counts["skipped"] or counts["failed"] else 0


def _one(
    n: int,
    record: Any,
    args: argparse.Namespace,
    name: str,
    pusher: Any,
    actor: Any,
    seen: set[str],
    rendering: list[tuple[Any, str]],
) -> CampaignRow:
    """Push one record; whatever goes wrong becomes a skipped or failed row, never an exception."""
    from smartvideo.agents.errors import PushRejected
    from smartvideo.agents.push import PushFailed, PushRequest, mask_contact

    if not isinstance(record, Mapping):
        return CampaignRow(n, "", "skipped", reason="not a record (expected an object with an id)")
    customer_id = str(record.get("id") or "").strip()
    if not customer_id:
        return CampaignRow(n, "", "skipped", reason="the record has no id")
    if customer_id in seen:
        return CampaignRow(
            n, customer_id, "skipped", reason="duplicate id: this customer already got a link"
        )
    seen.add(customer_id)
    request = PushRequest(
        customer_id=customer_id,
        story=args.story,
        channel=args.channel,
        prerender=args.prerender,
        variant=args.variant,
        device=args.device,
        contact_record=record,
        campaign=name,
    )
    try:
        result = pusher.push(actor, request)
    except PushRejected as exc:
        return CampaignRow(n, customer_id, "skipped", channel=args.channel, reason=exc.reason)
    except PushFailed as exc:
        link = exc.result
        return CampaignRow(
            n,
            customer_id,
            "failed",
            url=link.url,
            link_id=link.link.id,
            channel=args.channel,
            render=link.status,
            reason=exc.reason,
        )
    except Exception as exc:  # noqa: BLE001 - one broken record must not end a run of thousands
        return CampaignRow(
            n,
            customer_id,
            "skipped",
            channel=args.channel,
            reason=f"unexpected error ({type(exc).__name__}: {exc})",
        )
    if args.prerender:
        rendering.append(
            (result.link, request.device or ("portrait" if args.channel == "sms" else "landscape"))
        )
    return CampaignRow(
        n,
        customer_id,
        "sent" if args.channel != "none" else "created",
        url=result.url,
        link_id=result.link.id,
        channel=args.channel,
        delivered_to=mask_contact(result.receipt.to) if result.receipt else "",
        render=result.status,
    )


def _wait_for_renders(
    renders: Any, rendering: list[tuple[Any, str]], progress: Any, time_limit: int
) -> None:
    """The embedded runner renders in this process: stay until every prerendered video is made."""
    from smartvideo.render.devices import device_profile

    task = progress.add_task("prerendering videos", total=len(rendering))
    pending = list(rendering)
    # Renders run two at a time; past this, something is stuck and a click will render it anyway.
    deadline = time.monotonic() + time_limit * max(1, len(rendering))
    while pending and time.monotonic() < deadline:
        still = []
        for link, device in pending:
            status = renders.status(link, device_profile(device))["status"]
            if status in ("ready", "failed"):
                progress.advance(task)
                if status == "failed":
                    progress.console.print(
                        f"[yellow]render failed[/] for link {link.id} (see the renders table)"
                    )
            else:
                still.append((link, device))
        pending = still
        if pending:
            time.sleep(0.5)
    if pending:
        progress.console.print(
            f"[yellow]{len(pending)} videos not made in time[/]: a click renders them"
        )


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def cmd_campaign(args: argparse.Namespace) -> int:
    return run_campaign(args)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "campaign", help="links (and invitations) for every customer in a file"
    )
    p.add_argument("--story", required=True, help="story id")
    p.add_argument(
        "--data", required=True, help="customers file (JSON, CSV or YAML), one record per customer"
    )
    p.add_argument(
        "--channel", required=True, choices=("email", "sms", "none"), help="how to invite"
    )
    p.add_argument(
        "--prerender", action="store_true", help="render every video now, before anyone clicks"
    )
    p.add_argument("--out", help="CSV of links (default: <campaign name>-links.csv)")
    p.add_argument("--name", help="campaign name stored with each link (default: <story>-<time>)")
    p.add_argument("--variant", help="force one A/B variant for everyone")
    p.add_argument(
        "--device",
        choices=("landscape", "portrait", "square", "lite"),
        help="device to prerender for (default: portrait for sms, landscape otherwise)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_campaign)
