"""`smartvideo db upgrade`: bring the database to the newest schema before the web processes start.

The web app and the workers also migrate on start (under a lock, so N processes starting together
are safe); running this first as a deploy step keeps that work out of the request path.
"""

from __future__ import annotations

import argparse
import sys


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from smartvideo.config import load_config
    from smartvideo.storage.database import make_engine, upgrade_schema

    config = load_config(file=getattr(args, "config", None))
    engine = make_engine(config.sql_url)
    try:
        upgrade_schema(engine)
    finally:
        engine.dispose()
    print(f"database schema is current ({engine.url.render_as_string(hide_password=True)})", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database schema")
    actions = db.add_subparsers(dest="db_action", required=True)
    upgrade = actions.add_parser("upgrade", help="apply every migration (safe to run from several processes)")
    upgrade.add_argument("--config", help="YAML config file (default: SMARTVIDEO_CONFIG)")
    upgrade.set_defaults(func=cmd_db_upgrade)
