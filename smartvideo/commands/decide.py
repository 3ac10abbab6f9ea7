"""`smartvideo decide --decision ID --customer ID [--data FILE] [--format json|text]`: the next best
video for a customer and why, without rendering (the decision is logged like any other)."""

from __future__ import annotations

import argparse
import json
import sys


def cmd_decide(args: argparse.Namespace) -> int:
    from pathlib import Path

    from smartvideo.commands.web import _config
    from smartvideo.nba.engine import DecisionEngine
    from smartvideo.render.renderer import Renderer
    from smartvideo.storage.database import engine_for

    config = _config(args)
    renderer = Renderer(config.render_settings())
    engine = DecisionEngine.from_renderer(engine_for(config.sql_url), renderer)
    try:
        record = engine.record(args.decision, args.customer, Path(args.data) if args.data else None)
        choice = engine.decide(args.decision, args.customer, record=record, device=args.device,
                               channel=args.channel)
    finally:
        engine.close()
    if args.format == "json":
        print(json.dumps(choice.as_dict(), indent=2, ensure_ascii=False))
        return 0
    out = sys.stdout
    variant = f", variant {choice.variant}" if choice.variant else ""
    out.write(f"{choice.decision} for {args.customer}: {choice.action} -> story {choice.story}{variant}\n")
    out.write(f"score {choice.score:.4f}, chosen with probability {choice.propensity:.3f}\n\n")
    out.write(f"{'action':<18} {'eligible':<8} {'propensity':>10} {'value':>9} {'lever':>6} {'score':>9}  reason\n")
    for s in choice.scores:
        out.write(f"{s.action:<18} {'yes' if s.eligible else 'no':<8} {s.propensity_estimate:>10.4f} "
                  f"{s.value:>9.2f} {s.lever:>6.2f} {s.score:>9.4f}  {s.reason}\n")
    out.write(f"\n{choice.explanation}\n")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("decide", help="the next best video for a customer, and why (no rendering)")
    p.add_argument("--decision", required=True, help="a decision in scenes/decisions/")
    p.add_argument("--customer", required=True)
    p.add_argument("--data", help="customer data file (default: the decision's `data:`)")
    p.add_argument("--format", default="text", choices=["json", "text"])
    p.add_argument("--device", help="the device of the click, for decisions that use click.device")
    p.add_argument("--channel", help="the channel of the link, for decisions that use click.channel")
    p.add_argument("--config", help="YAML config file (default: SMARTVIDEO_CONFIG)")
    p.set_defaults(func=cmd_decide)
