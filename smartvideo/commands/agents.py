"""`smartvideo agents add|list|revoke|log`: API keys for call-centre agents, and the audit log."""

from __future__ import annotations

import argparse
import sys

from smartvideo.agents import audit, keys


def _engine(args: argparse.Namespace):  # noqa: ANN202
    from smartvideo.config import load_config
    from smartvideo.storage.database import engine_for

    return engine_for(load_config(getattr(args, "config", None)).sql_url)


def cmd_add(args: argparse.Namespace) -> int:
    issued = keys.issue_key(_engine(args), args.name)
    # The key alone on stdout (scripts capture it); the warning on stderr for the human.
    print(issued.plaintext)
    print(
        f"agent key {issued.agent.key_id} made for {issued.agent.name}. "
        "This is the only time the key is "
        "shown: hand it over now (it is stored hashed and cannot be recovered).",
        file=sys.stderr,
    )
    return 0


def _when(value) -> str:  # noqa: ANN001
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def cmd_list(args: argparse.Namespace) -> int:
    agents = keys.list_keys(_engine(args), include_revoked=args.all)
    if not agents:
        print("no agent keys (make one with `smartvideo agents add NAME`)", file=sys.stderr)
        return 0
    print(f"{'KEY ID':<12} {'NAME':<24} {'CREATED':<17} {'LAST USED':<17} STATUS")
    for agent in agents:
        status = "active" if agent.active else f"revoked {_when(agent.revoked_at)}"
        print(
            f"{agent.key_id:<12} {agent.name[:24]:<24} {_when(agent.created_at):<17} "
            f"{_when(agent.last_used_at):<17} {status}"
        )
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    revoked = keys.revoke(_engine(args), args.agent)
    for agent in revoked:
        print(f"revoked key {agent.key_id} of {agent.name}")
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    entries = audit.recent(_engine(args), args.limit, actor=args.agent)
    print(
        f"{'WHEN (UTC)':<20} {'WHO':<20} {'SOURCE':<8} {'CUSTOMER':<12} {'STORY':<16} "
        f"{'CHANNEL':<7} OUTCOME"
    )
    for e in reversed(entries):
        detail = f" ({e.detail})" if e.detail else ""
        print(
            f"{e.at.strftime('%Y-%m-%d %H:%M:%S'):<20} {e.actor[:20]:<20} {e.source:<8} "
            f"{(e.customer_id or '-')[:12]:<12} {(e.story or '-')[:16]:<16} "
            f"{(e.channel or '-'):<7} "
            f"{e.outcome}{detail}"
        )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    agents = subparsers.add_parser(
        "agents", help="API keys for agents who send videos after a call"
    )
    sub = agents.add_subparsers(dest="agents_command", required=True)

    add = sub.add_parser("add", help="make a key for an agent; prints it once")
    add.add_argument("name", help="the agent's name (shown in the audit log)")
    add.set_defaults(func=cmd_add)

    listing = sub.add_parser("list", help="the agents' keys (never the secrets)")
    listing.add_argument("--all", action="store_true", help="include revoked keys")
    listing.set_defaults(func=cmd_list)

    revoke = sub.add_parser(
        "revoke", help="revoke a key by its id, or every key of an agent by name"
    )
    revoke.add_argument("agent", help="key id or agent name")
    revoke.set_defaults(func=cmd_revoke)

    log = sub.add_parser(
        "log", help="the audit log: who pushed which story to which customer, when"
    )
    log.add_argument("--agent", help="only this agent (or campaign:USER)")
    log.add_argument(
        "--limit", type=int, default=50, help="newest N entries (default: %(default)s)"
    )
    log.set_defaults(func=cmd_log)
