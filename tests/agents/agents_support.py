"""Constants and helpers the agent tests share (`conftest` is not a unique module name)."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MINI_ROOT = ROOT / "tests" / "fixtures" / "mini"
SECRET = "agents-test-secret-" + "x" * 32
PUBLIC_URL = "https://v.nova.example"
RATE = "5/minute"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@contextmanager
def celery_workers(env: Mapping[str, str], folder: Path, count: int, name: str) -> Iterator[list[Path]]:
    """`count` real `celery -A worker worker` processes with env (SMARTVIDEO_* as a user's shell
    has them), started and ready; yields their log files, and stops them at the end."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("SMARTVIDEO_")}
    workers, logs = [], []
    for n in range(count):
        log = folder / f"worker-{n}.log"
        with log.open("ab") as handle:
            workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "worker", "worker", "--pool", "solo",
                     "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO",
                     "-n", f"{name}{n}@%h"],
                    cwd=ROOT, env={**base, **env, "PYTHONPATH": str(ROOT)}, stdout=handle,
                    stderr=subprocess.STDOUT, start_new_session=True,
                )
            )
        logs.append(log)
    try:
        deadline = time.monotonic() + 90
        while not all(" ready." in log.read_text(errors="replace") for log in logs):
            assert time.monotonic() < deadline, "\n".join(log.read_text()[-2000:] for log in logs)
            assert all(w.poll() is None for w in workers), "\n".join(log.read_text()[-2000:] for log in logs)
            time.sleep(0.2)
        yield logs
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
