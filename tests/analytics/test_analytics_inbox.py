"""The beacon inbox: a batch is acknowledged once appended, folded later, exactly once.

Replays are duplicates whether their batch waits in the inbox or was folded; a folder killed in the
middle of a drain (a real process, SIGKILL) folds nothing twice and loses nothing; a report right
after the beacons counts every one the web app acknowledged.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from analytics_support import STORY
from sqlalchemy import Engine, func, select

from smartvideo.analytics.events import BeaconBatch, SimpleEvent, WatchEvent
from smartvideo.analytics.formatters import report_dict
from smartvideo.analytics.ingest import BeaconStore
from smartvideo.analytics.report_queries import story_report
from smartvideo.analytics.tables import events_table, inbox_table, views_table

ROOT = Path(__file__).resolve().parents[2]


def count(engine: Engine, table) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def report(engine: Engine) -> dict:
    """The story's report, floats to 9 places (sums added in another order differ in the last bits)."""
    def rounded(value):  # noqa: ANN001, ANN202
        if isinstance(value, float):
            return round(value, 9)
        if isinstance(value, dict):
            return {k: rounded(v) for k, v in value.items() if k not in ("generated_at", "query_ms")}
        if isinstance(value, list):
            return [rounded(v) for v in value]
        return value

    return rounded(report_dict(story_report(engine, STORY)))


def twin(reference: Engine, path: Path) -> Engine:
    """A second database with the reference's links and renders."""
    from smartvideo.links import links_table
    from smartvideo.storage.database import make_engine, upgrade_schema
    from smartvideo.storage.renders_table import renders_table

    other = make_engine(f"sqlite:///{path}")
    upgrade_schema(other)
    with reference.connect() as conn, other.begin() as target:
        for table in (links_table, renders_table):
            target.execute(table.insert(), [dict(row._mapping) for row in conn.execute(select(table))])
    return other


def same_views(a: Engine, b: Engine) -> bool:
    columns = [c for c in views_table.c if c.name not in ("created_at", "updated_at")]
    query = select(*columns).order_by(views_table.c.view_id)
    with a.connect() as one, b.connect() as two:
        return one.execute(query).all() == two.execute(query).all()


def viewer_batches(view: str, stop: int, rng: random.Random) -> list[BeaconBatch]:
    """A viewer of the 10 s render: open, play, seconds up to `stop` (a few again), maybe the end."""
    events: list = [SimpleEvent("open"), SimpleEvent("play", t=0.0), *(WatchEvent(s) for s in range(stop))]
    if stop > 4 and rng.random() < 0.4:
        events += [WatchEvent(s) for s in range(2, 4)]
    if stop == 10:
        events.append(SimpleEvent("ended", t=10.0))
        if rng.random() < 0.3:
            events.append(SimpleEvent("cta", t=10.0))
    return [BeaconBatch(view, seq, "landscape", tuple(events[i:i + 3]))
            for seq, i in enumerate(range(0, len(events), 3))]


def test_a_replay_is_a_duplicate_in_the_inbox_and_after_its_fold(engine: Engine, make_link) -> None:  # noqa: ANN001
    store = BeaconStore(engine, fold="apart")
    link = make_link()
    batch = BeaconBatch("view-inbox-1", 0, "landscape", (SimpleEvent("open"), WatchEvent(0), WatchEvent(1)))
    assert store.ingest(link, batch).duplicate is False
    assert (count(engine, inbox_table), count(engine, events_table)) == (1, 0)  # acknowledged, not folded
    again = store.ingest(link, batch)
    assert (again.duplicate, again.stored) == (True, 0)
    assert count(engine, inbox_table) == 1
    assert store.fold_inbox() == 1
    assert (count(engine, inbox_table), count(engine, events_table), count(engine, views_table)) == (0, 3, 1)
    assert store.ingest(link, batch).duplicate is True  # folded: its key still answers
    assert store.fold_inbox() == 0
    assert count(engine, events_table) == 3
    assert report(engine)["views"] == 1


def test_a_report_folds_the_inbox_first(engine: Engine, make_link) -> None:  # noqa: ANN001
    apart, inline = BeaconStore(engine, fold="apart"), BeaconStore(engine)
    link = make_link()
    apart.ingest(link, BeaconBatch("view-inbox-2", 0, "landscape", (SimpleEvent("open"), WatchEvent(0))))
    assert count(engine, views_table) == 0
    inline.fold_pending()  # what the report page, the CLI and the API call before reading
    assert report(engine)["views"] == 1 and count(engine, inbox_table) == 0


def test_a_view_of_another_link_is_refused_while_its_first_batch_waits(engine: Engine, make_link) -> None:  # noqa: ANN001
    from smartvideo.analytics.errors import BeaconRejected

    store = BeaconStore(engine, fold="apart")
    a, b = make_link(), make_link()
    store.ingest(a, BeaconBatch("view-shared-2", 0, "landscape", (SimpleEvent("open"),)))
    with pytest.raises(BeaconRejected):
        store.ingest(b, BeaconBatch("view-shared-2", 1, "landscape", (SimpleEvent("open"),)))
    assert count(engine, inbox_table) == 1


def _fold_process(url: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.Popen([sys.executable, "-m", "smartvideo.cli", "analytics-fold", "--group", "10",
                             "--database", url], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ingest_viewers(stores: list[BeaconStore], links: list, views: int = 150) -> None:  # noqa: ANN001
    rng = random.Random(3)
    for n in range(views):
        link = links[n % len(links)]
        for batch in viewer_batches(f"view-many-{n:04d}", rng.choice([1, 3, 6, 10, 10]), rng):
            for store in stores:
                store.ingest(link, batch)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_views_batches_folded_in_one_group_count_as_folded_one_at_a_time(tmp_path, make_link, engine) -> None:  # noqa: ANN001
    """A group holds several batches of a view (a CTA among them): the clicks, views and figures
    are those of folding each batch as it comes."""
    links = [make_link(customer=f"G{i:03d}") for i in range(12)]
    grouped = twin(engine, tmp_path / "grouped.db")
    apart = BeaconStore(grouped, fold="apart")
    ingest_viewers([BeaconStore(engine), apart], links)
    apart.FOLD_GROUP = 64
    assert apart.fold_inbox() > 300
    assert same_views(engine, grouped)
    assert report(grouped) == report(engine)
    grouped.dispose()


def _fold_process(url: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.Popen([sys.executable, "-m", "smartvideo.cli", "analytics-fold", "--group", "10",
                             "--database", url], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_folder_killed_mid_drain_folds_nothing_twice_and_loses_nothing(tmp_path, make_link, engine) -> None:  # noqa: ANN001
    """The same beacons into two databases: one folded as they come, one appended and then drained
    by real `smartvideo analytics-fold` processes killed (SIGKILL) mid-drain until it is empty.
    Events, views and every figure of the report must be the same."""
    links = [make_link(customer=f"K{i:03d}") for i in range(12)]
    path = tmp_path / "killed.db"
    killed = twin(engine, path)
    ingest_viewers([BeaconStore(engine), BeaconStore(killed, fold="apart")], links)
    total = count(killed, inbox_table)
    assert total > 300 and count(killed, events_table) == 0
    rng = random.Random(5)
    left_after_kills = []
    for _ in range(60):  # each folder is killed once its first group has committed: mid-drain
        before = count(killed, inbox_table)
        folder = _fold_process(f"sqlite:///{path}")
        deadline = time.monotonic() + 30
        while count(killed, inbox_table) == before and folder.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.01))  # and at a random moment of a later group
        folder.send_signal(signal.SIGKILL)
        folder.wait(10)
        left = count(killed, inbox_table)
        left_after_kills.append(left)
        if left == 0:
            break
    assert sum(0 < left < total for left in left_after_kills) >= 2, left_after_kills  # killed mid-drain
    BeaconStore(killed).fold_pending()  # whatever the kills left
    assert count(killed, inbox_table) == 0
    assert count(killed, events_table) == count(engine, events_table)
    assert same_views(engine, killed)
    assert report(killed) == report(engine)
    killed.dispose()


def test_the_web_report_right_after_the_beacons_counts_every_one_acknowledged(app, client, app_link) -> None:  # noqa: ANN001
    """The web app folds in a thread, a moment after its appends; a report asked at once folds
    what is still waiting first."""
    import json

    from analytics_support import ANALYST_KEY

    links = [app_link() for _ in range(3)]
    stored = 0
    for n in range(30):
        body = {"view": f"view-web-now-{n:03d}", "seq": 0, "device": "landscape",
                "events": [{"type": "open"}, {"type": "play", "t": 0}, *({"type": "watch", "s": s} for s in range(5))]}
        answer = client.post(f"/v/{links[n % 3].token}/beacon", data=json.dumps(body), content_type="text/plain")
        assert answer.status_code == 200
        stored += answer.json["stored"]
    data = client.get(f"/reports/{STORY}.json", headers={"X-Analyst-Key": ANALYST_KEY}).json
    assert data["views"] == 30 and data["play_rate"] == 1.0
    assert data["retention"][:6] == [1.0, 1.0, 1.0, 1.0, 1.0, 0.0]
    engine = app.extensions["smartvideo"].engine
    assert count(engine, events_table) == stored == 30 * 7
    csv_rows = client.get(f"/reports/{STORY}/views.csv", headers={"X-Analyst-Key": ANALYST_KEY}).text.splitlines()
    assert len(csv_rows) == 31  # a header and every view
