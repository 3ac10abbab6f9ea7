"""Sub-commands for delivery: `serve` (embedded mode), `link` (a signed link), `cleanup` (retention)."""

from __future__ import annotations

import argparse
import errno
import json
import sys
from typing import Any

from smartvideo.errors import SmartVideoError


def _config(args: argparse.Namespace, **overrides: Any):  # noqa: ANN202 - AppConfig
    from smartvideo.config import load_config

    values = {k: v for k, v in overrides.items() if v is not None}
    if getattr(args, "root", None):
        values["content_root"] = args.root
    if getattr(args, "cache", None):
        values["cache_dir"] = args.cache
    return load_config(file=getattr(args, "config", None), overrides=values)


def cmd_serve(args: argparse.Namespace) -> int:
    """The whole app on one machine: embedded runner (thread pool), SQLite, no Redis, no worker."""
    from waitress import serve

    from smartvideo.web.app_factory import create_app

    overrides: dict[str, Any] = {"broker_url": "", "redis_url": ""}  # embedded, whatever the environment
    if args.root:
        overrides["content_root"] = args.root
    if args.cache:
        overrides["cache_dir"] = args.cache
    app = create_app(overrides)
    print(f"SmartVideo on http://{args.host}:{args.port}/ (embedded runner; Ctrl-C stops)", file=sys.stderr)
    try:
        serve(app, host=args.host, port=args.port, threads=args.threads, ident="smartvideo", channel_timeout=120)
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            from smartvideo.errors import SmartVideoError

            why = {errno.EADDRINUSE: "the port is already in use (another server?); choose another with --port",
                   errno.EACCES: "this port needs more privileges; choose one above 1024 with --port",
                   errno.EADDRNOTAVAIL: "that is not an address of this machine; check --host"}
            raise SmartVideoError(f"cannot listen on {args.host}:{args.port}: {why[exc.errno]}") from None
        raise
    return 0


def cmd_link(args: argparse.Namespace) -> int:
    from smartvideo.links import create_link, link_url, parse_ttl
    from smartvideo.render.renderer import Renderer
    from smartvideo.storage.database import engine_for

    config = _config(args)
    ttl = parse_ttl(args.ttl or config.link_ttl)
    renderer = Renderer(config.render_settings())
    if bool(args.story) == bool(args.decision):
        raise SmartVideoError("give either --story or --decision")
    # An unknown story, decision or customer is an error now, not a failed render on the click.
    if args.decision:
        from smartvideo.nba.engine import DecisionEngine

        DecisionEngine.from_renderer(engine_for(config.sql_url), renderer).record(args.decision, args.customer)
    else:
        renderer.library.story(args.story)
        renderer.customer_source(renderer.data_file_for(args.story)).get(args.customer)
    link = create_link(engine_for(config.sql_url), config.secret_key, args.story or "", args.customer, ttl,
                       variant=args.variant, campaign=args.campaign, channel=args.channel, created_by="cli",
                       decision=args.decision)
    if args.prerender:
        _prerender(config, link, args.prerender)
    print(link_url(config.public_url, link.token))
    return 0


def _prerender(config: Any, link: Any, device_name: str) -> None:
    """Make the video now, before the link is sent: the click then plays at once.

    Scaled mode queues the job for the workers; embedded mode renders here and waits.
    """
    from smartvideo.errors import RenderError
    from smartvideo.jobs.lifecycle import RenderJobs
    from smartvideo.render.devices import device_profile

    renders = RenderJobs.from_config(config)
    device = device_profile(device_name)
    try:
        status = renders.start(link, device)
        if renders.mode == "embedded":
            status = renders.wait(link, device, timeout=float(config.render_time_limit))
        if status["status"] == "failed":
            raise RenderError("the video could not be rendered; the reason is in the log")
        print(f"pre-render {device.name}: {status['status']}", file=sys.stderr)
    finally:
        renders.close()


def cmd_cleanup(args: argparse.Namespace) -> int:
    from smartvideo.jobs.retention import sweep

    config = _config(args, retention_days=args.days)
    result = sweep(config)
    print(json.dumps({"retention_days": config.retention_days, **result.as_dict()}))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="run the web app with the embedded runner (one machine)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--threads", type=int, default=16, help="request threads (default: %(default)s)")
    serve.set_defaults(func=cmd_serve)

    link = sub.add_parser("link", help="print a signed, expiring video link for a customer")
    link.add_argument("--story")
    link.add_argument("--decision", help="a decision (scenes/decisions/) instead of a story: the video is "
                      "chosen for the customer at the first click")
    link.add_argument("--customer", required=True)
    link.add_argument("--ttl", help="lifetime: 7d, 12h, 30m, 2w (default: SMARTVIDEO_LINK_TTL or 7d)")
    link.add_argument("--variant", help="force an A/B variant")
    link.add_argument("--campaign")
    link.add_argument("--channel", default="none", help="email | sms | none")
    link.add_argument("--prerender", metavar="DEVICE", help="render the video for DEVICE now (landscape, "
                      "portrait, square, lite) so the click plays at once")
    link.add_argument("--config", help="YAML config file (default: SMARTVIDEO_CONFIG)")
    link.set_defaults(func=cmd_link)

    cleanup = sub.add_parser("cleanup", help="delete rendered videos older than the retention period")
    cleanup.add_argument("--days", type=float, help="retention in days (default: SMARTVIDEO_RETENTION_DAYS)")
    cleanup.add_argument("--config", help="YAML config file (default: SMARTVIDEO_CONFIG)")
    cleanup.set_defaults(func=cmd_cleanup)
