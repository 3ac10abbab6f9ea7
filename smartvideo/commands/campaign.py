"""`smartvideo campaign`: invite every customer of a file once; `campaign status NAME` shows where
a campaign stands, `campaign list` lists them.

A campaign is stored (campaigns/store.py) under its name: running the same command again resumes
it (customers already invited are skipped), and only `--resend` invites someone twice. Each record
goes through the same checks and delivery as an agent's push (agents/push.py).
"""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import Any

from smartvideo.errors import SmartVideoError


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


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def cmd_campaign(args: argparse.Namespace) -> int:
    from smartvideo.campaigns.run import CampaignOptions, CampaignRun, default_name

    missing = [f"--{n}" for n in ("data", "channel") if not getattr(args, n)]
    if not args.story and not args.decision:
        missing.insert(0, "--story or --decision")
    if args.story and args.decision:
        raise SmartVideoError("give --story or --decision, not both")
    if missing:
        raise SmartVideoError(f"campaign needs {', '.join(missing)} (or: smartvideo campaign status NAME)")
    data = Path(args.data)
    resend: tuple[str, ...] = ()
    if args.resend:
        resend = tuple(sorted({p.strip() for p in args.resend.split(",") if p.strip()}))
        if "all" in resend and len(resend) > 1:
            raise SmartVideoError("--resend takes 'all' or a list of customer ids, not both")
    options = CampaignOptions(
        name=args.name or default_name(args.story or args.decision, data),
        story=args.story or "",
        decision=args.decision,
        channel=args.channel,
        data=data,
        out=Path(args.out) if args.out else None,
        prerender=args.prerender,
        variant=args.variant,
        device=args.device,
        resend=resend,
        yes=args.yes,
        concurrency=args.concurrency,
        processes=args.processes,
        quiet=args.quiet,
    )
    run = CampaignRun(_config(args), options, _console(), actor_name=f"campaign:{_user()}")
    return run.run()


def cmd_campaign_status(args: argparse.Namespace) -> int:
    from smartvideo.campaigns import store
    from smartvideo.campaigns.run import campaign_started, status_line
    from smartvideo.storage.database import engine_for

    engine = engine_for(_config(args).sql_url)
    campaign = store.get_campaign(engine, args.name)
    counts = store.state_counts(engine, args.name)
    lines = [
        f"campaign {campaign.name}: {campaign.target_kind} {campaign.target_id} by {campaign.channel}",
        f"  started {campaign_started(campaign)} by {campaign.created_by or '?'}; "
        f"data {campaign.data_path} (sha256 {campaign.data_fingerprint[:12]})",
        f"  {status_line(counts)}",
    ]
    resent = store.resent_count(engine, args.name)
    if resent:
        lines.append(f"  {resent} customers were sent more than once (--resend)")
    if counts.get("sending"):
        lines.append(f"  {counts['sending']} were interrupted mid-send; the next run sends them")
    if campaign.lock_owner:
        lines.append(f"  running now ({campaign.lock_owner})")
    if campaign.links_csv:
        lines.append(f"  links: {campaign.links_csv}")
    limit = None if args.all else 20
    for state in ("failed", "skipped"):
        if counts.get(state):
            rows = store.customers_in(engine, args.name, [state], limit or counts[state])
            lines.append(f"  {state}:")
            lines += [
                f"    record {r.row} ({r.customer_id}): {r.reason or '?'}"
                + (f" [{r.attempts} tries]" if state == "failed" and r.attempts else "")
                for r in rows
            ]
            if limit and counts[state] > limit:
                lines.append(f"    ... and {counts[state] - limit} more (--all shows them)")
    print("\n".join(lines))
    return 0


def cmd_campaign_list(args: argparse.Namespace) -> int:
    from smartvideo.campaigns import store
    from smartvideo.campaigns.run import campaign_started, status_line
    from smartvideo.storage.database import engine_for

    engine = engine_for(_config(args).sql_url)
    campaigns = store.list_campaigns(engine)
    if not campaigns:
        print("no campaigns yet")
    for c in campaigns:
        counts = store.state_counts(engine, c.name)
        print(f"{c.name}\t{c.target_id}\t{c.channel}\t{campaign_started(c)}\t{status_line(counts)}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "campaign",
        help="invite every customer in a file once (run again to resume); status NAME; list",
    )
    p.add_argument("--story", help="story id")
    p.add_argument("--decision", help="a decision id instead of a story: each customer gets the best video for them")
    p.add_argument("--data", help="customers file (JSON, CSV or YAML), one record per customer")
    p.add_argument("--channel", choices=("email", "sms", "none"), help="how to invite")
    p.add_argument("--prerender", action="store_true", help="render every video now, before anyone clicks")
    p.add_argument("--out", help="CSV of links (default: <campaign name>-links.csv)")
    p.add_argument(
        "--name",
        help="the campaign's name; running it again resumes it (default: <story or decision>-<data file name>)",
    )
    p.add_argument("--variant", help="force one A/B variant for everyone")
    p.add_argument(
        "--device",
        choices=("landscape", "portrait", "square", "lite"),
        help="device to prerender for (default: portrait for sms, landscape otherwise)",
    )
    p.add_argument(
        "--resend",
        metavar="all|ID,ID",
        help="invite again customers already invited (all of them, or these ids); says who first",
    )
    p.add_argument("--yes", action="store_true", help="do not ask before --resend")
    p.add_argument(
        "--concurrency",
        type=int,
        default=8,
        help="invitations sent at once, over all sending processes (default: %(default)s)",
    )
    p.add_argument(
        "--processes",
        type=int,
        help="sending processes (default: one per core from 1,000 customers to do, else one)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_campaign)
    actions = p.add_subparsers(dest="campaign_action", metavar="{status,list}")
    status = actions.add_parser("status", help="sent, pending, failed and skipped of a campaign")
    status.add_argument("name")
    status.add_argument("--all", action="store_true", help="list every failed and skipped customer")
    status.set_defaults(func=cmd_campaign_status)
    listing = actions.add_parser("list", help="every stored campaign")
    listing.set_defaults(func=cmd_campaign_list)
