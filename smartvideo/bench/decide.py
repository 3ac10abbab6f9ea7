"""Next-best-action benchmarks: decide latency (p99) and a simulation against the oracle.

`decide_p99_ms`: the whole in-process decision, warm: the customer's contact history read from
SQLite, features and eligibility through the sandboxed templates (the policy action's record
looked up in policies.json: the bench's customers have none), the VW model's estimates,
arbitration, and the decision logged with its inputs. `nba_simulation`: see nba/simulation.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from smartvideo.bench.figures import emit


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def decide_latencies(decisions: int = 2000) -> tuple[list[float], list[float]]:
    """Wall and CPU (this thread) milliseconds per decision, after 200 warm-up decisions.

    On a shared machine the wall p99 is mostly other processes' time slices; the CPU p99 is what
    one decision costs."""
    from smartvideo.data_sources import FileCustomerSource
    from smartvideo.nba import store
    from smartvideo.nba.bandit import ResponseModel
    from smartvideo.nba.engine import DecisionEngine
    from smartvideo.render.scene_loader import load_library
    from smartvideo.settings import find_content_root
    from smartvideo.storage.database import make_engine, upgrade_schema

    root = find_content_root(None)
    library = load_library(root)
    with tempfile.TemporaryDirectory() as folder:
        sql = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade_schema(sql)
        sources: dict[Path, FileCustomerSource] = {}  # opened once, as the renderer keeps them

        def source_for(path: Path) -> FileCustomerSource:
            if path not in sources:
                sources[path] = FileCustomerSource(path)
            return sources[path]

        engine = DecisionEngine(sql, library, source_for, refresh=1.0, rng=random.Random(3))
        decision = engine.decision("next_video")
        names = [a.name for a in decision.actions]
        source = FileCustomerSource(engine.data_file(decision))
        records = [source.get(c) for c in source.ids()]
        model = ResponseModel()  # a model that has learned something, so VW really predicts
        rng = random.Random(5)
        for _ in range(500):
            features = {"plan": rng.choice(["Nova 5", "Nova 10"]), "usage_ratio": rng.random(),
                        "tenure_days": rng.randint(1, 400), "roaming": str(rng.random() < 0.3)}
            model.learn(features, names, rng.choice(names), float(rng.random() < 0.1), 1 / 3)
        with sql.begin() as conn:
            store.save_model(conn, decision.id, 0, model.to_bytes(), model.learned, dt.datetime.now(dt.UTC))
        model.close()
        times: list[float] = []
        cpu: list[float] = []
        for i in range(decisions + 200):
            record = records[i % len(records)]
            started, cpu_started = time.perf_counter(), time.thread_time()
            engine.decide(decision.id, f"BENCH{i:06d}", record=record, link_id=f"L{i:011d}")
            if i >= 200:
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.thread_time() - cpu_started) * 1000)
        engine.close()
        sql.dispose()
    return times, cpu


def run(args: argparse.Namespace, results: dict[str, float]) -> list[dict[str, Any]]:
    from smartvideo.nba.simulation import simulate

    times, cpu = decide_latencies()

    def p99(values: list[float]) -> float:
        return sorted(values)[int(len(values) * 0.99) - 1]

    figures = [emit("decide_p99_ms", [p99(times)], "ms", runs=len(times), p50_ms=round(statistics.median(times), 3),
                    cpu_p99_ms=round(p99(cpu), 3), cpu_p50_ms=round(statistics.median(cpu), 3),
                    goal="<= 10 ms")]
    started, cpu_start = time.perf_counter(), _cpu()
    sim = simulate(decisions=20_000)
    figures.append(emit("nba_simulation", [sim.value], "learned/oracle", runs=1, decisions=sim.decisions,
                        learned=round(sim.learned, 4), uniform=round(sim.uniform, 4), oracle=round(sim.oracle, 4),
                        seconds=round(time.perf_counter() - started, 1), cpu_s=round(_cpu() - cpu_start, 1),
                        goal="value >= 0.9, learned clearly above uniform"))
    return figures
