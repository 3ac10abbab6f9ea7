"""`smartvideo check-data --story ID --data FILE [--format text|json] [--plan]`.

Checks a whole customer export against the story's data contract without rendering: each bad
record is listed (id, field, reason) with a summary; the exit status is 1 when any is bad.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from smartvideo.errors import SmartVideoError


def _plan_problems(lib: Any, story_id: str, records: list[Any], bad_ids: set[str]) -> list[str]:
    """Plan every record the contract accepted (estimated voice lengths): template-level misfits."""
    from smartvideo.render.contract import record_id_of
    from smartvideo.render.devices import PROFILES
    from smartvideo.render.planner import PlanInputs, plan_video
    from smartvideo.render.renderer import click_context

    messages = []
    for n, record in enumerate(records, start=1):
        rid = record_id_of(record, f"#{n}") if isinstance(record, dict) else f"#{n}"
        if rid in bad_ids or not isinstance(record, dict):
            continue
        try:
            extra = click_context(lib, story_id, record, {})
            inputs = PlanInputs(story_id=story_id, record=record, device=PROFILES["landscape"], extra_context=extra)
            plan_video(lib, inputs, lambda text, profile: max(1.0, len(text.split()) / 2.6), lambda path: "")
        except SmartVideoError as exc:
            text = str(exc)
            messages.append(text if text.startswith("customer ") else f"customer {rid}: {text}")
    return messages


def cmd_check_data(args: argparse.Namespace) -> int:
    from smartvideo.data_sources import read_records
    from smartvideo.render.contract import check_export
    from smartvideo.render.scene_loader import load_library
    from smartvideo.settings import find_content_root

    lib = load_library(find_content_root(args.root))
    story = lib.story(args.story)
    records = read_records(Path(args.data))
    result = check_export(story.contract, records, story.defaults, processes=max(1, args.processes))
    plan_messages: list[str] = []
    if args.plan:
        plan_messages = _plan_problems(lib, story.id, records, {p.record_id for p in result.problems})
    bad = result.bad_records + len(plan_messages)
    if args.format == "json":
        body: dict[str, Any] = {"story": story.id, "data": str(args.data), "contract": story.contract is not None,
                                **result.as_json()}
        body["bad_records"] = bad
        body["good_records"] = result.records - bad
        if args.plan:
            body["plan_problems"] = plan_messages
        json.dump(body, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        for problem in result.problems:
            print(problem.message())
        for message in plan_messages:
            print(message)
        where = "its data contract" if story.contract is not None else "basic checks (the story declares no contract)"
        print(f"{result.records} records checked against {where} of story '{story.id}': "
              f"{result.records - bad} good, {bad} bad", file=sys.stderr)
    return 1 if bad else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("check-data", help="check a customer export against a story's data contract")
    p.add_argument("--story", required=True)
    p.add_argument("--data", required=True, help="customer records: JSON, YAML or CSV")
    p.add_argument("--format", default="text", choices=["text", "json"])
    p.add_argument("--processes", type=int, default=len(os.sched_getaffinity(0)),
                   help="worker processes for large exports (default: the CPUs this process may use)")
    p.add_argument("--plan", action="store_true",
                   help="also plan each good record (templates, charts), slower; nothing is rendered")
    p.set_defaults(func=cmd_check_data)
