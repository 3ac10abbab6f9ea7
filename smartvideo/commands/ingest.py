"""`smartvideo analytics-fold [--watch]`: fold the beacon inbox into views and counters from a process
of its own (scaled mode with `SMARTVIDEO_ANALYTICS_FOLDER=process`; see docs/analytics.md).

Once: folds what the inbox holds and exits. `--watch`: keeps folding as batches arrive (every
`--poll` seconds, what gathered meanwhile) until stopped. Killing it at any moment is safe:
each group is folded and deleted from the inbox in one transaction.
"""

from __future__ import annotations

import argparse
import sys
import time


def cmd_analytics_fold(args: argparse.Namespace) -> int:
    from smartvideo.analytics.ingest import BeaconStore
    from smartvideo.config import load_config
    from smartvideo.storage.database import make_engine, upgrade_schema

    overrides = {"database_url": args.database} if args.database else {}
    config = load_config(file=args.config, overrides=overrides)
    engine = make_engine(config.sql_url)
    upgrade_schema(engine)
    store = BeaconStore(engine)
    if args.group:
        store.FOLD_GROUP = args.group
    folded = 0
    try:
        while True:
            n = store.fold_inbox()
            folded += n
            if not args.watch:
                break
            if n < store.FOLD_GROUP:
                time.sleep(args.poll)
    except KeyboardInterrupt:
        pass
    finally:
        store.close()
        engine.dispose()
    print(f"folded {folded} beacon batches", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    fold = sub.add_parser("analytics-fold", help="fold the beacon inbox into views and counters")
    fold.add_argument("--watch", action="store_true", help="keep folding as batches arrive, until stopped")
    fold.add_argument("--poll", type=float, default=0.2,
                      help="seconds between folds (batches gather meanwhile: larger groups cost less per batch)")
    fold.add_argument("--group", type=int, default=0, help="batches per fold transaction (default 512)")
    fold.add_argument("--database", help="database URL (default: the configured one)")
    fold.add_argument("--config", help="YAML config file (default: SMARTVIDEO_CONFIG)")
    fold.set_defaults(func=cmd_analytics_fold)
