"""`smartvideo bench --only check_data`: records per minute that check-data reads and checks.

A synthetic export of first_bill customers (1 in 50 broken in a different field) is written as
JSON and as CSV, then read and checked against the story's contract the way `check-data` does
(worker processes, one per CPU this process may use): wall time, and CPU seconds of this process
and its workers, median of the runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from smartvideo.bench.figures import emit

STORY = "first_bill"
RECORDS = 50_000
_BROKEN = ({"bill.total": "NaN"}, {"customer.first_name": "  "}, {"bill.due_date": "2026-02-30"},
           {"customer.phone": "0612345678"}, {"bill.lines.1.amount": "2,5"})


def synthetic_rows(count: int) -> list[dict[str, str]]:
    """Flat CSV-style rows (dotted columns), every 50th with one broken field."""
    rows = []
    for n in range(count):
        row = {
            "id": f"C{n:07d}", "customer.first_name": ("Anna", "Łucja", "Ζωή", "Мария", "Sam")[n % 5],
            "customer.email": f"user{n}@example.com", "customer.phone": f"+316{12000000 + n % 8000000:08d}",
            "bill.total": f"{(n % 20000) / 100 + 1:.2f}", "bill.previous_total": f"{(n % 9000) / 100:.2f}",
            "bill.due_date": f"2026-{n % 12 + 1:02d}-{n % 28 + 1:02d}", "bill.reason": "your usage changed",
            "bill.roaming": "true" if n % 3 else "false",
            "bill.lines.0.name": "Subscription", "bill.lines.0.amount": "17.50",
            "bill.lines.1.name": "Extra data", "bill.lines.1.amount": f"{n % 500 / 10:.2f}",
        }
        if n % 50 == 49:
            row.update(_BROKEN[(n // 50) % len(_BROKEN)])
        rows.append(row)
    return rows


def _cpu() -> float:
    """CPU seconds of this process and its finished worker processes."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def run(args: argparse.Namespace, results: dict[str, float]) -> Iterable[dict[str, Any]]:
    from smartvideo.data_sources import read_records
    from smartvideo.render.contract import check_export
    from smartvideo.render.scene_loader import load_library
    from smartvideo.settings import find_content_root

    story = load_library(find_content_root(getattr(args, "root", None))).story(STORY)
    rows = synthetic_rows(RECORDS)
    figures = []
    with tempfile.TemporaryDirectory(prefix="smartvideo-bench-check-") as tmp:
        csv_path = Path(tmp) / "export.csv"
        with csv_path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        json_path = Path(tmp) / "export.json"
        json_path.write_text(json.dumps(read_records(csv_path)), encoding="utf-8")
        processes = len(os.sched_getaffinity(0))
        for label, path in (("csv", csv_path), ("json", json_path)):
            walls, cpus, bad = [], [], 0
            for _ in range(max(1, min(args.runs, 3))):
                wall, cpu = time.perf_counter(), _cpu()
                result = check_export(story.contract, read_records(path), story.defaults, processes=processes)
                walls.append(time.perf_counter() - wall)
                cpus.append(_cpu() - cpu)
                bad = result.bad_records
            figures.append(emit(f"check_data_{label}_records_per_min", [RECORDS / w * 60 for w in walls],
                                "records/min", records=RECORDS, bad_records=bad, processes=processes,
                                cpu_seconds=round(min(cpus), 2),
                                cpu_records_per_min=round(RECORDS / min(cpus) * 60)))
    return figures
