"""Scaled mode: a campaign fans out as Celery tasks over two real worker processes on the real
Redis, sending to a real local SMTP server (aiosmtpd); every customer is invited exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from agents_support import PUBLIC_URL, ROOT, SECRET, celery_workers

from smartvideo.bench.campaign import SmtpSink, customer_base
from smartvideo.campaigns import store
from smartvideo.campaigns.fanout import TASK, chunk_tasks
from smartvideo.cli import main
from smartvideo.storage.database import engine_for

pytestmark = pytest.mark.redis
CUSTOMERS = 120


@dataclass
class Scaled:
    root: Path
    data_dir: Path
    broker: str
    sink: SmtpSink
    env: dict[str, str]  # SMARTVIDEO_* as a user's shell (and the workers) have them
    logs: list[Path]

    @property
    def engine(self) -> Any:
        return engine_for(f"sqlite:///{self.data_dir / 'smartvideo.db'}")

    def worker_lines(self, text: str) -> list[int]:
        """How many lines of each worker's log contain text."""
        return [sum(text in line for line in log.read_text(errors="replace").splitlines()) for log in self.logs]


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory, redis_db: str) -> Iterator[Scaled]:
    """Two real `celery -A worker worker` processes sharing the SQL database, Redis and SMTP server."""
    import redis

    redis.Redis.from_url(redis_db).flushdb()
    tmp = tmp_path_factory.mktemp("fanout")
    root = customer_base(tmp / "content", CUSTOMERS)
    with SmtpSink() as sink:
        env = {
            "SMARTVIDEO_DATA_DIR": str(tmp / "data"),
            "SMARTVIDEO_CACHE_DIR": str(tmp / "cache"),
            "SMARTVIDEO_CONTENT_ROOT": str(root),
            "SMARTVIDEO_SECRET_KEY": SECRET,
            "SMARTVIDEO_PUBLIC_URL": PUBLIC_URL,
            "SMARTVIDEO_BROKER_URL": redis_db,
            "SMARTVIDEO_SMTP_URL": sink.url,
            "SMARTVIDEO_CAMPAIGN_CHUNK": "10",  # a dozen tasks, so both workers get some
        }
        with celery_workers(env, tmp, 2, "campaign") as logs:
            yield Scaled(root, tmp / "data", redis_db, sink, env, logs)


@pytest.fixture
def shell(scaled: Scaled, monkeypatch: pytest.MonkeyPatch) -> Scaled:
    for name, value in scaled.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SMARTVIDEO_CAMPAIGN_STALL_SECONDS", "60")
    scaled.sink.recipients.clear()
    return scaled


def customers_file(folder: Path, ids: range, name: str) -> Path:
    path = folder / f"{name}.json"
    path.write_text(json.dumps([{"id": f"B{n:06d}"} for n in ids]), "utf-8")
    return path


def campaign(name: str, data: Path, out: Path, *extra: str) -> list[str]:
    return ["campaign", "--story", "first_bill", "--data", str(data), "--channel", "email", "--name", name,
            "--out", str(out), "-q", *extra]


def test_two_workers_share_a_campaign_and_invite_everyone_once(shell: Scaled, tmp_path: Path, capsys: Any) -> None:
    data = customers_file(tmp_path, range(1, CUSTOMERS + 1), "everyone")
    done_before = shell.worker_lines(f"Task {TASK}")
    assert main(campaign("fan", data, tmp_path / "links.csv")) == 0
    assert len(shell.sink.recipients) == CUSTOMERS
    assert Counter(shell.sink.recipients).most_common(1)[0][1] == 1  # nobody twice
    done = [after - before for after, before in zip(shell.worker_lines(f"Task {TASK}"), done_before, strict=True)]
    assert all(n > 0 for n in done), f"each worker took tasks: {done}"
    capsys.readouterr()
    assert main(["campaign", "status", "fan"]) == 0
    assert f"{CUSTOMERS} sent, 0 pending, 0 failed, 0 skipped" in capsys.readouterr().out
    # Run again: resumes, sends nobody.
    assert main(campaign("fan", data, tmp_path / "links.csv")) == 0
    assert len(shell.sink.recipients) == CUSTOMERS


def test_the_same_tasks_delivered_twice_send_nobody_twice(shell: Scaled, tmp_path: Path) -> None:
    """A redelivered or duplicated message: both workers race over the same customers."""
    from celery import Celery

    ids = [f"B{n:06d}" for n in range(1, 41)]
    data = customers_file(tmp_path, range(1, 41), "twice")
    engine = shell.engine
    owner = "test-run:1"
    store.open_campaign(engine, name="twice", target_kind="story", target_id="first_bill", channel="email",
                        options={}, data_fingerprint=_sha(data), data_path=str(data), links_csv="x.csv",
                        created_by="campaign:test")
    store.acquire_lock(engine, "twice", owner, seconds=300)
    store.add_customers(engine, "twice", ((cid, n) for n, cid in enumerate(ids, start=1)))
    app = Celery("test", broker=shell.broker, set_as_current=False)
    for task in chunk_tasks("twice", owner, ids, (), size=10) * 3:
        app.send_task(TASK, args=[task.as_message()])
    _wait_until(lambda: store.state_counts(engine, "twice").get("sent", 0) == len(ids))
    time.sleep(1.0)  # the duplicates still in the queue are done too
    _wait_until(lambda: not _queued(shell.broker))
    assert sorted(shell.sink.recipients) == sorted(f"customer{n}@example.com" for n in range(1, 41))
    assert store.resent_count(engine, "twice") == 0


def test_tasks_of_a_run_that_lost_its_lock_send_nothing(shell: Scaled, tmp_path: Path) -> None:
    from celery import Celery

    data = customers_file(tmp_path, range(1, 11), "stale")
    engine = shell.engine
    store.open_campaign(engine, name="stale", target_kind="story", target_id="first_bill", channel="email",
                        options={}, data_fingerprint=_sha(data), data_path=str(data), links_csv="x.csv",
                        created_by="campaign:test")
    store.add_customers(engine, "stale", ((f"B{n:06d}", n) for n in range(1, 11)))
    store.acquire_lock(engine, "stale", "newer-run:2", seconds=300)  # another run holds it now
    app = Celery("test", broker=shell.broker, set_as_current=False)
    before = shell.worker_lines("succeeded")
    for task in chunk_tasks("stale", "older-run:1", [f"B{n:06d}" for n in range(1, 11)], (), size=5):
        app.send_task(TASK, args=[task.as_message()])
    _wait_until(lambda: sum(shell.worker_lines("succeeded")) >= sum(before) + 2)
    assert shell.sink.recipients == []
    assert store.state_counts(engine, "stale") == Counter({"pending": 10})


def test_an_interrupted_scaled_run_resumes_and_nobody_gets_two(shell: Scaled, tmp_path: Path) -> None:
    data = customers_file(tmp_path, range(1, CUSTOMERS + 1), "interrupted")
    out = tmp_path / "links.csv"
    env = {**{k: v for k, v in os.environ.items()}, "PYTHONPATH": str(ROOT)}
    run = subprocess.Popen(
        [sys.executable, "-c", "from smartvideo.cli import main; raise SystemExit(main())",
         *campaign("cut", data, out)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    _wait_until(lambda: len(shell.sink.recipients) >= 20 or run.poll() is not None)
    run.send_signal(signal.SIGINT)
    output = run.communicate(timeout=120)[0].decode()
    first = len(shell.sink.recipients)
    assert run.returncode == 130 and "interrupted: the state is saved" in output, output
    assert 0 < first < CUSTOMERS
    assert main(campaign("cut", data, out)) == 0
    assert len(shell.sink.recipients) == CUSTOMERS, f"{first} in the first run"
    assert Counter(shell.sink.recipients).most_common(1)[0][1] == 1


def test_deliveries_failing_in_a_row_stop_a_scaled_run_and_leave_the_rest_pending(
    shell: Scaled, tmp_path: Path, capsys: Any
) -> None:
    """The SMTP server answers every message with a temporary failure: the run stops after 25
    failures in a row, as an embedded run does, instead of failing every customer."""
    data = customers_file(tmp_path, range(1, CUSTOMERS + 1), "down")
    out = tmp_path / "links.csv"
    shell.sink.refusing = True
    try:
        code = main(campaign("down", data, out))
    finally:
        shell.sink.refusing = False
    printed = capsys.readouterr()
    assert code == 1, printed
    assert "deliveries in a row failed" in printed.out + printed.err
    assert "451" in printed.out + printed.err  # the server's own answer, named
    counts = store.state_counts(shell.engine, "down")
    assert counts["failed"] >= 25 and counts["pending"] > 0 and not counts["sent"], counts
    assert shell.sink.recipients == []
    # The server is back: the next run sends everyone, the failed and the pending, once.
    assert main(campaign("down", data, out)) == 0
    assert sorted(shell.sink.recipients) == sorted(f"customer{n}@example.com" for n in range(1, CUSTOMERS + 1))


def _sha(path: Path) -> str:
    from smartvideo.campaigns.run import data_fingerprint

    return data_fingerprint(path)


def _queued(broker: str) -> int:
    import redis

    return int(redis.Redis.from_url(broker).llen("celery"))


def _wait_until(condition: Any, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
