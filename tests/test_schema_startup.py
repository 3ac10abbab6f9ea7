"""N processes starting together on an empty database all come up: migrations run under a lock."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = 4

# Each process waits for the same moment, then migrates: the race the lock must survive.
_START_TOGETHER = """
import sys, time
from smartvideo.storage.database import engine_for
start_at = float(sys.argv[2])
time.sleep(max(0.0, start_at - time.time()))
engine_for(sys.argv[1])
"""


def _start_together(url: str) -> list[subprocess.CompletedProcess[str]]:
    start_at = f"{time.time() + 4.0:.3f}"  # after every interpreter has imported SQLAlchemy and Alembic
    procs = [subprocess.Popen([sys.executable, "-c", _START_TOGETHER, url, start_at], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(PROCESSES)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def _assert_all_started(results: list[subprocess.CompletedProcess[str]], url: str) -> None:
    failures = [r.stderr[-1500:] for r in results if r.returncode != 0]
    assert not failures, failures[0]
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        assert "links" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_processes_starting_together_on_an_empty_sqlite_database_all_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    _assert_all_started(_start_together(url), url)


def test_processes_starting_together_on_an_empty_postgresql_schema_all_start(postgres_url: str) -> None:
    _assert_all_started(_start_together(postgres_url), postgres_url)


def test_db_upgrade_command_migrates_an_empty_database(tmp_path: Path) -> None:
    env_url = f"sqlite:///{tmp_path / 'deploy.db'}"
    done = subprocess.run([sys.executable, "-m", "smartvideo.cli", "db", "upgrade"], cwd=ROOT, text=True,
                          capture_output=True, timeout=120,
                          env={"SMARTVIDEO_DATABASE_URL": env_url, "SMARTVIDEO_DATA_DIR": str(tmp_path),
                               "SMARTVIDEO_SECRET_KEY": "x" * 40, "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    engine = sa.create_engine(env_url)
    assert "renders" in sa.inspect(engine).get_table_names()
    engine.dispose()
