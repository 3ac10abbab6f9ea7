"""Analytics benchmarks: beacon ingest over HTTP on loopback, and a report over 1 M recorded views.

Each function returns figure dicts like {"name": "beacon_events_per_s", "value": N, "unit": "events/s",
"runs": k, ...}; `run(args)` prints them as JSON lines (`smartvideo bench --only analytics`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select

from smartvideo.bench.figures import figure, free_port, stat_cpu_seconds

SECRET = "bench-analytics-secret-0123456789abcdef0123"
STORY = "first_bill"
SCENES = [
    {"id": "intro", "start": 0.0, "end": 9.5},
    {"id": "bill_total", "start": 9.5, "end": 24.0},
    {"id": "breakdown", "start": 24.0, "end": 41.2},
    {"id": "tips", "start": 41.2, "end": 52.0},
    {"id": "outro_cta", "start": 52.0, "end": 60.0},
]
DURATION = 60.0
DEVICES = ("landscape", "portrait", "square", "lite")


def _make_links(engine: Engine, n: int) -> list[Any]:
    """n links, each with a ready 60 s render of five scenes on a random device."""
    from smartvideo.links import create_link
    from smartvideo.storage.renders_table import renders_table

    links, rows = [], []
    now = dt.datetime.now(dt.UTC)
    rng = random.Random(7)
    for i in range(n):
        variant = "AB"[i % 2]
        link = create_link(
            engine,
            SECRET,
            STORY,
            f"BENCH{i:06d}",
            dt.timedelta(days=7),
            variant=variant,
            campaign="bench",
        )
        device = rng.choice(DEVICES)
        links.append((link, device))
        rows.append(
            {
                "id": f"{link.id}.{device}",
                "link_id": link.id,
                "story": STORY,
                "device": device,
                "variant": variant,
                "status": "ready",
                "progress": 1.0,
                "duration": DURATION,
                "scenes": json.dumps(SCENES),
                "created_at": now,
                "finished_at": now,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(renders_table), rows)
    return links


def _view_batches(link: Any, device: str, view: str, batch_events: int, rng: random.Random) -> list[bytes]:
    """One viewer's batches: open, play, the seconds watched (some again), maybe a seek, end and CTA."""
    stop = rng.choice([3, 12, 30, 45, 60, 60, 60])
    events: list[dict[str, Any]] = [{"type": "open"}, {"type": "play", "t": 0.0}]
    events += [{"type": "watch", "s": s} for s in range(stop)]
    if stop > 20 and rng.random() < 0.3:
        events += [{"type": "seek", "from": 20.0, "t": 10.0}] + [{"type": "watch", "s": s} for s in range(10, 20)]
    if stop == 60:
        events.append({"type": "ended", "t": DURATION})
        if rng.random() < 0.2:
            events.append({"type": "cta"})
    else:
        events.append({"type": "pause", "t": float(stop)})
    return [
        json.dumps({"view": view, "seq": seq, "device": device, "events": events[i : i + batch_events]}).encode()
        for seq, i in enumerate(range(0, len(events), batch_events))
    ]


SERVER = """
import socket, sys
from pathlib import Path
# Every server process listens on the same port (SO_REUSEPORT): the kernel spreads connections.
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
sock.bind(("127.0.0.1", int(sys.argv[3])))
sock.listen(1024)
from waitress import serve
from smartvideo.web.app_factory import create_app
app = create_app({"data_dir": sys.argv[1], "secret_key": sys.argv[2], "analyst_key": "bench",
                  "broker_url": "", "redis_url": "", "database_url": sys.argv[4]})
Path(sys.argv[5]).touch()
serve(app, sockets=[sock], threads=8, ident="bench", _quiet=True)
"""


def _own_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _wait_ready(marks: list[Path], servers: list[subprocess.Popen], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(mark.exists() for mark in marks):
        if time.monotonic() > deadline or any(server.poll() is not None for server in servers):
            raise RuntimeError("the bench server did not start")
        time.sleep(0.1)


def _post_request(port: int, path: str, body: bytes) -> bytes:
    """A whole HTTP/1.1 POST, encoded before the clock starts."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: text/plain;charset=UTF-8\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


class _KeepAliveClient:
    """The load generator's HTTP/1.1 client: one keep-alive connection, whole requests sent as
    they are, answers read by Content-Length. http.client's header parsing cost more CPU than the
    server's handling of a beacon, on the same two cores."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def post(self, request: bytes) -> tuple[int, bytes]:
        self.sock.sendall(request)
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._fill()
        head = self.buffer[:end].decode("latin-1")
        status = int(head.split(" ", 2)[1])
        length = next(int(line.split(":", 1)[1]) for line in head.split("\r\n")[1:]
                      if line.lower().startswith("content-length:"))
        while len(self.buffer) < end + 4 + length:
            self._fill()
        body = self.buffer[end + 4 : end + 4 + length]
        self.buffer = self.buffer[end + 4 + length :]
        return status, body

    def close(self) -> None:
        self.sock.close()


def _waitress_servers(tmp: Path, url: str, port: int, processes: int, env: dict[str, str]) -> list[subprocess.Popen]:
    """`processes` waitress servers on one port (SO_REUSEPORT), 8 threads each."""
    return [
        subprocess.Popen(
            [sys.executable, "-c", SERVER, str(tmp / "data"), SECRET, str(port), url, str(tmp / f"ready-{i}")],
            env=env,
            stdout=subprocess.DEVNULL,
            # A file, not a pipe: the server logs a line per request at INFO, and a pipe nobody
            # reads fills up and stalls it.
            stderr=(tmp / f"server-{i}.log").open("wb"),
        )
        for i in range(processes)
    ]


def _granian_servers(
    tmp: Path, url: str, port: int, processes: int, env: dict[str, str], folder: str = "thread"
) -> list[subprocess.Popen]:
    """One granian server with `processes` workers, configured as a deployment is: by SMARTVIDEO_*.
    `folder="process"`: the inbox is folded by `smartvideo analytics-fold --watch` beside it."""
    config = {"SMARTVIDEO_DATA_DIR": str(tmp / "data"), "SMARTVIDEO_SECRET_KEY": SECRET,
              "SMARTVIDEO_ANALYST_KEY": "bench", "SMARTVIDEO_BROKER_URL": "", "SMARTVIDEO_REDIS_URL": "",
              "SMARTVIDEO_DATABASE_URL": url, "SMARTVIDEO_ANALYTICS_FOLDER": folder}
    folders = [subprocess.Popen(
        [sys.executable, "-m", "smartvideo.cli", "analytics-fold", "--watch"],
        env={**env, **config}, stdout=subprocess.DEVNULL, stderr=(tmp / "folder.log").open("wb"),
    )] if folder == "process" else []
    return folders + [subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "wsgi", "--factory", "--workers", str(processes),
         "--blocking-threads", "16", "--host", "127.0.0.1", "--port", str(port), "--log-level", "info",
         "smartvideo.web.app_factory:create_app"],
        # granian logs to stdout ("Started worker-N"), the app to stderr
        env={**env, **config}, stdout=(tmp / "server.log").open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )]


def _wait_http(port: int, servers: list[subprocess.Popen], timeout: float = 60.0) -> None:
    """Until every worker answers: a few health checks over fresh connections."""
    deadline = time.monotonic() + timeout
    answered = 0
    while answered < 8:
        if time.monotonic() > deadline or any(server.poll() is not None for server in servers):
            raise RuntimeError("the bench server did not start")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            answered += conn.getresponse().status in (200, 503)
            conn.close()
        except OSError:
            time.sleep(0.1)


def _wait_workers(log: Path, processes: int, servers: list[subprocess.Popen], timeout: float = 60.0) -> None:
    """Until every granian worker has built the app ("Started worker-N" in its log). The first
    worker up would otherwise take every one of the load generator's keep-alive connections, and
    the figure would be one process's."""
    deadline = time.monotonic() + timeout
    while log.read_text(errors="replace").count("Started worker-") < processes:
        if time.monotonic() > deadline or any(server.poll() is not None for server in servers):
            raise RuntimeError("the bench server's workers did not start")
        time.sleep(0.05)


def _tree_cpu(pid: int) -> float:
    """CPU-seconds of a process and its children (a granian server's workers)."""
    children: list[str] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            children += (task / "children").read_text().split()
    return stat_cpu_seconds(f"/proc/{pid}/stat") + sum(_tree_cpu(int(child)) for child in children)


def _wait_folded(engine: Engine, timeout: float = 120.0) -> float:
    """Seconds until the inbox is empty (every acknowledged batch folded)."""
    from smartvideo.analytics.tables import inbox_table

    started = time.perf_counter()
    while True:
        with engine.connect() as conn:
            left = conn.execute(select(func.count()).select_from(inbox_table)).scalar_one()
        if not left:
            return time.perf_counter() - started
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"{left} batches still unfolded after {timeout:.0f} s")
        time.sleep(0.01)


def bench_beacon_ingest(
    events: int = 60_000,
    batch_events: int = 50,
    clients: int = 8,
    database_url: str = "",
    replay_share: float = 0.05,
    processes: int = 2,
    server: str = "waitress",
    folder: str = "thread",
) -> list[dict[str, Any]]:
    """Beacon batches POSTed over HTTP on loopback to the real app (waitress, separate processes:
    one per core, as a 2-core host would run it; `processes=1` shows what one process carries).

    `server="granian"` serves the same app with granian (Rust HTTP, the WSGI app on its blocking
    threads), as the scaled deployment runs it (docs/delivery.md): `granian --interface wsgi
    --factory smartvideo.web.app_factory:create_app --workers 2 --blocking-threads 16`. (The
    threads wait on the beacon writer's lock while a fold holds it: 16 keep parsing requests
    meanwhile, which then go in one append.)

    `folder`: who folds the inbox (granian only): a thread of each web process, or a `smartvideo
    analytics-fold --watch` process beside them (its CPU counted with the server's).

    Counts events acknowledged as stored, checks the database holds exactly that many, and that
    replayed batches (sent twice on purpose) were all answered `duplicate` and changed nothing.
    """
    from smartvideo.analytics.tables import events_table
    from smartvideo.storage.database import make_engine, upgrade_schema

    with tempfile.TemporaryDirectory(prefix="sv-bench-beacon-") as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'smartvideo.db'}"
        engine = make_engine(url)
        upgrade_schema(engine)
        rng = random.Random(11)
        per_view = 66
        links = _make_links(engine, max(1, events // per_view // 2))
        views: list[list[tuple[str, bytes]]] = []
        total = 0
        n = 0
        while total < events:
            link, device = links[n % len(links)]
            batches = _view_batches(link, device, f"bench-view-{n:07d}", batch_events, rng)
            views.append([(link.token, b) for b in batches])
            total += sum(len(json.loads(b)["events"]) for b in batches)
            n += 1
        port = free_port()
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")]),
        )
        if server == "granian":
            servers = _granian_servers(Path(tmp), url, port, processes, env, folder)
        else:
            servers = _waitress_servers(Path(tmp), url, port, processes, env)
        try:
            if server == "granian":
                _wait_http(port, servers)
                _wait_workers(Path(tmp) / "server.log", processes, servers)
            else:
                _wait_ready([Path(tmp) / f"ready-{i}" for i in range(processes)], servers)
            stored = [0] * clients
            duplicates_ok = [0] * clients
            replays = [0] * clients
            failures: list[str] = []
            requests = [[_post_request(port, f"/v/{token}/beacon", body) for token, body in view]
                        for view in views]

            def client(index: int) -> None:
                conn = _KeepAliveClient(port)
                local = random.Random(index)
                for view in requests[index::clients]:
                    for request in view:
                        for attempt in (0, 1) if local.random() < replay_share else (0,):
                            status, body = conn.post(request)
                            answer = json.loads(body)
                            if status != 200:
                                failures.append(f"{status} {answer}")
                                continue
                            if attempt:
                                replays[index] += 1
                                duplicates_ok[index] += answer["duplicate"] is True and answer["stored"] == 0
                            else:
                                stored[index] += answer["stored"]
                conn.close()

            threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
            server_cpu_before = sum(_tree_cpu(server.pid) for server in servers)
            client_cpu_before = _own_cpu()
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            seconds = time.perf_counter() - started
            # answered means in the inbox; the servers' folders fold it: until the inbox is empty
            lag = _wait_folded(engine)
            server_cpu = sum(_tree_cpu(server.pid) for server in servers) - server_cpu_before
            client_cpu = _own_cpu() - client_cpu_before
        finally:
            for proc in servers:
                proc.terminate()  # granian stops its workers on SIGTERM
            for proc in servers:
                proc.wait(10)
        with engine.connect() as conn:
            in_db = int(conn.execute(select(func.count()).select_from(events_table)).scalar_one())
        engine.dispose()
        sent = total
        n_batches = sum(len(v) for v in views)
        lost = sent - in_db
        return [
            figure(
                "beacon_events_per_s",
                [sent / seconds],
                "events/s",
                # all folded (events, views, counters): the last answer's time plus the fold's lag
                folded_events_per_s=round(sent / (seconds + lag)),
                fold_lag_s=round(lag, 3),
                events_sent=sent,
                events_acked=sum(stored),
                events_stored=in_db,
                lost=lost,
                batches=n_batches,
                batch_events=batch_events,
                clients=clients,
                replayed_batches=sum(replays),
                replays_answered_duplicate=sum(duplicates_ok),
                errors=len(failures),
                database=url.split(":")[0],
                server=f"{server}, {16 if server == 'granian' else 8} threads, {processes} "
                       f"process{'es' if processes > 1 else ''}",
                folder="a thread of each web process" if folder == "thread" or server != "granian"
                else "smartvideo analytics-fold --watch",
                load_generator=f"{clients} keep-alive HTTP/1.1 connections, threads of the bench process",
                # CPU-seconds, which a busy shared machine distorts far less than wall time
                server_cpu_s=round(server_cpu, 3),
                client_cpu_s=round(client_cpu, 3),
                events_per_server_cpu_s=round(sent / server_cpu) if server_cpu > 0 else None,
                # what 2 otherwise idle cores would carry, server and load generator sharing them
                events_per_s_on_2_idle_cores=round(2 * sent / (server_cpu + client_cpu)) if server_cpu > 0 else None,
            ),
            figure("beacon_batches_per_s", [n_batches / seconds], "batches/s"),
        ]


# ---- report at scale ---------------------------------------------------------------------------


def seed_views(engine: Engine, n_views: int, days: int = 30, patterns: int = 400, seed: int = 5) -> float:
    """Record n_views synthetic views straight into the store (view rows, viewers, counters), folded by
    the same pure code as ingest (`fold_events`) from `patterns` distinct watch patterns. Returns s."""
    from smartvideo.analytics.counter_backfill import backfill_counters
    from smartvideo.analytics.events import SimpleEvent, WatchEvent
    from smartvideo.analytics.ingest import parse_scenes
    from smartvideo.analytics.report_model import DAILY_COUNTERS, VIEWER_COUNTERS
    from smartvideo.analytics.sql_upsert import add_counters
    from smartvideo.analytics.tables import (
        daily_table,
        scenes_table,
        seconds_table,
        viewers_table,
        views_table,
    )
    from smartvideo.analytics.view_state import ViewState, fold_events
    from smartvideo.links import links_table

    started = time.perf_counter()
    rng = random.Random(seed)
    scenes = parse_scenes(json.dumps(SCENES))
    n_seconds = int(DURATION)
    folded = []
    for _ in range(patterns):
        stop = rng.choice([0, 2, 5, 9, 15, 24, 30, 41, 50, 58, 60, 60, 60])
        events: list[Any] = [SimpleEvent("open")]
        if stop:
            events += [SimpleEvent("play", t=0.0), *(WatchEvent(s) for s in range(stop))]
            if rng.random() < 0.2 and stop > 10:
                events += [WatchEvent(s) for s in range(5, 10)]
        if stop == 60:
            events.append(SimpleEvent("ended", t=60.0))
            if rng.random() < 0.25:
                events.append(SimpleEvent("cta"))
        state, delta = fold_events(ViewState.empty(), events, n_seconds, scenes)
        folded.append((state, delta))
    today = dt.date.today()
    daily: dict[tuple, dict[str, float]] = defaultdict(lambda: dict.fromkeys((*DAILY_COUNTERS, *VIEWER_COUNTERS), 0))
    seconds: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    scene_counts: dict[tuple, list[float]] = defaultdict(lambda: [0, 0, 0, 0.0, 0.0])
    now = dt.datetime.now(dt.UTC)
    view_rows: list[dict[str, Any]] = []
    viewer_rows: list[dict[str, Any]] = []
    link_rows: list[dict[str, Any]] = []
    customer = 0
    previous: dict[str, Any] | None = None
    with engine.begin() as conn:

        def flush() -> None:
            if view_rows:
                conn.execute(insert(views_table), view_rows)
                conn.execute(insert(viewers_table), viewer_rows)
                conn.execute(insert(links_table), link_rows)
                view_rows.clear()
                viewer_rows.clear()
                link_rows.clear()

        for i in range(n_views):
            state, delta = folded[rng.randrange(patterns)]
            repeat = previous is not None and rng.random() < 0.25  # the same customer watches again
            if not repeat:
                customer += 1
                link_id = f"L{customer:011d}"
                variant, device = "AB"[customer % 2], DEVICES[customer % 4]
                campaign = ("spring", "autumn")[customer % 3 == 0]
                day = today - dt.timedelta(days=customer % days)
                previous = {
                    "story": STORY,
                    "link_id": link_id,
                    "customer_id": f"C{customer:09d}",
                    "variant": variant,
                    "device": device,
                    "campaign": campaign,
                    "first_day": day,
                    "views": 1,
                    "opened": int(state.opened),
                    "half": int(state.watched_count * 2 >= 60),
                    "completed": int(state.completed),
                    "cta": int(state.cta),
                }
                viewer_rows.append(previous)
                link_rows.append(
                    {
                        "id": link_id,
                        "story": STORY,
                        "customer_id": previous["customer_id"],
                        "variant": variant,
                        "campaign": campaign,
                        "channel": "email",
                        "created_by": "bench",
                        "created_at": now,
                        "expires_at": now,
                    }
                )
            assert previous is not None
            dims = (
                STORY,
                previous["variant"],
                previous["device"],
                previous["campaign"],
                previous["first_day"],
            )
            view_rows.append(
                {
                    "view_id": f"V{i:011d}",
                    "link_id": previous["link_id"],
                    "story": STORY,
                    "variant": dims[1],
                    "device": dims[2],
                    "campaign": dims[3],
                    "day": dims[4],
                    "n_seconds": n_seconds,
                    "scenes": json.dumps(SCENES),
                    "watched": state.watched,
                    "watched_count": state.watched_count,
                    "rewatches": state.rewatches,
                    "opened": state.opened,
                    "played": state.played,
                    "completed": state.completed,
                    "cta": state.cta,
                    "errored": False,
                    "entered": state.entered,
                    "continued": state.continued,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            row = daily[dims]
            row["views"] += 1
            row["new_viewers"] += 0 if repeat else 1
            if not repeat:
                for name in ("opened", "half", "completed", "cta"):
                    row[f"viewers_{name}"] += previous[name]
            for name, flag in (
                ("opens", delta.opened),
                ("plays", delta.played),
                ("completions", delta.completed),
                ("halves", delta.became_half),
                ("ctas", delta.cta),
                ("rewatch_views", delta.became_rewatch_view),
            ):
                row[name] += int(flag)
            row["watched_seconds"] += len(delta.new_seconds)
            row["rewatched_seconds"] += sum(n for _, n in delta.rewatched)
            row["watched_sum"] += delta.watched_fraction
            row["watched_sq_sum"] += delta.watched_fraction_sq
            for s in delta.new_seconds:
                seconds[(*dims, s)][0] += 1
            for s, times in delta.rewatched:
                seconds[(*dims, s)][1] += times
            for index, scene in enumerate(scenes):
                slot = scene_counts[(*dims, scene.id, index)]
                slot[0] += 1
                slot[1] += delta.entered >> index & 1
                slot[2] += delta.continued >> index & 1
                slot[3] += scene.start
                slot[4] += scene.end
            if len(view_rows) >= 20_000:
                flush()
        flush()
        keys = ("story", "variant", "device", "campaign", "day")
        add_counters(
            conn,
            daily_table,
            [dict(zip(keys, k, strict=True), **v, max_seconds=n_seconds) for k, v in daily.items()],
            [*DAILY_COUNTERS, *VIEWER_COUNTERS],
            maxima=("max_seconds",),
        )
        add_counters(
            conn,
            seconds_table,
            [dict(zip(keys, k[:5], strict=True), second=k[5], views=v[0], rewatches=v[1]) for k, v in seconds.items()],
            ["views", "rewatches"],
        )
        add_counters(
            conn,
            scenes_table,
            [
                dict(
                    zip(keys, k[:5], strict=True),
                    scene=k[5],
                    position=k[6],
                    present=v[0],
                    entered=v[1],
                    continued=v[2],
                    start_sum=v[3],
                    end_sum=v[4],
                )
                for k, v in scene_counts.items()
            ],
            ["present", "entered", "continued", "start_sum", "end_sum"],
        )
        backfill_counters(conn)  # scene lists, clicks and funnel reach, as the migration fills them
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def bench_report_at_scale(n_views: int = 1_000_000, runs: int = 5, database_url: str = "") -> list[dict[str, Any]]:
    """Time `story_report` (all its queries, JSON-ready) over n_views recorded views."""
    from smartvideo.analytics.formatters import report_dict
    from smartvideo.analytics.report_model import Filters
    from smartvideo.analytics.report_queries import story_report
    from smartvideo.storage.database import make_engine, upgrade_schema

    with tempfile.TemporaryDirectory(prefix="sv-bench-report-") as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'smartvideo.db'}"
        engine = make_engine(url)
        upgrade_schema(engine)
        seeded = seed_views(engine, n_views)
        times, filtered = [], []
        report = None
        for _ in range(runs):
            started = time.perf_counter()
            report = story_report(engine, STORY)
            report_dict(report)
            times.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            story_report(
                engine,
                STORY,
                Filters(
                    variant="B",
                    device="portrait",
                    campaign="spring",
                    date_from=dt.date.today() - dt.timedelta(days=14),
                ),
            )
            filtered.append((time.perf_counter() - started) * 1000)
        assert report is not None and report.figures.views == n_views
        engine.dispose()
        return [
            figure(
                "report_ms_at_1m_views" if n_views == 1_000_000 else f"report_ms_at_{n_views}_views",
                times,
                "ms",
                views=n_views,
                unique_viewers=report.figures.unique_viewers,
                database=url.split(":")[0],
                seed_s=round(seeded, 1),
            ),
            figure(
                "report_filtered_ms",
                filtered,
                "ms",
                views=n_views,
                filters="variant, device, campaign, from",
            ),
        ]


def _on_postgres(
    base_url: str, server: str = "waitress", clients: int = 8, folder: str = "thread"
) -> list[dict[str, Any]]:
    """The 8-event figure on PostgreSQL, in a schema of its own (dropped after); none without a server."""
    import uuid

    import sqlalchemy as sa

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        admin = sa.create_engine(base_url)
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except Exception:  # noqa: BLE001 - no PostgreSQL here: the figure is left out
        return []
    try:
        figures = bench_beacon_ingest(events=12_000 if server == "waitress" else 24_000, batch_events=8,
                                      server=server, clients=clients, folder=folder,
                                      database_url=f"{base_url}?options=-csearch_path%3D{schema}")
        suffix = "_pg" if server == "waitress" else f"_pg_{server}"
        suffix += "_folder_process" if folder == "process" else ""
        figures[0]["name"] = f"beacon_events_per_s_8_per_batch{suffix}"
        figures[1]["name"] = f"beacon_batches_per_s_8_per_batch{suffix}"
        return figures
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run(args: Any = None, results: dict[str, float] | None = None) -> Iterator[dict[str, Any]]:
    """All analytics figures, printed as JSON lines as they come."""
    runs = max(1, int(getattr(args, "runs", 5) or 5))
    figures = bench_beacon_ingest()
    # the same path with small batches (a 4 s flush of steady playback): the per-request cost shows
    small = bench_beacon_ingest(events=12_000, batch_events=8)
    small[0]["name"], small[1]["name"] = "beacon_events_per_s_8_per_batch", "beacon_batches_per_s_8_per_batch"
    # one web process: what a single process (one core, one interpreter lock) carries
    single = bench_beacon_ingest(events=12_000, batch_events=8, processes=1)
    single[0]["name"], single[1]["name"] = ("beacon_events_per_s_8_per_batch_one_process",
                                            "beacon_batches_per_s_8_per_batch_one_process")
    small += single
    # the scaled deployment's web server: granian (Rust HTTP), two workers on the two cores, with
    # 64 connections open at once (10,000 events/s of 8-event batches every ~4 s is ~5,000 players
    # watching: far more than 8 requests are in flight at any moment)
    rust = bench_beacon_ingest(events=24_000, batch_events=8, server="granian", clients=64)
    rust[0]["name"], rust[1]["name"] = ("beacon_events_per_s_8_per_batch_granian",
                                        "beacon_batches_per_s_8_per_batch_granian")
    small += rust
    # the same with the inbox folded by `smartvideo analytics-fold --watch` beside the web workers
    # (SMARTVIDEO_ANALYTICS_FOLDER=process), where the workers' own threads fold it above
    apart = bench_beacon_ingest(events=24_000, batch_events=8, server="granian", clients=64, folder="process")
    apart[0]["name"], apart[1]["name"] = ("beacon_events_per_s_8_per_batch_granian_folder_process",
                                          "beacon_batches_per_s_8_per_batch_granian_folder_process")
    small += apart
    postgres = os.environ.get("SMARTVIDEO_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    small += _on_postgres(postgres)
    small += _on_postgres(postgres, server="granian", clients=64)
    small += _on_postgres(postgres, server="granian", clients=64, folder="process")
    for result in [*figures, *small, *bench_report_at_scale(runs=runs)]:
        print(json.dumps(result), flush=True)
        yield result


if __name__ == "__main__":
    list(run())
