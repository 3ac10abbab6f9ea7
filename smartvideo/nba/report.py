"""`smartvideo report --decision ID`: per action decisions, outcomes and reward rate, the
allocation over time, and off-policy estimates of the learned policy against uniform random and
the policy in force (IPS and doubly robust, 95% intervals), from the decision log."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy import Engine

from smartvideo.nba import store
from smartvideo.nba.bandit import ResponseModel
from smartvideo.nba.decision_model import DecisionSpec
from smartvideo.nba.evaluation import (
    Logged,
    doubly_robust,
    greedy_policy,
    ips,
    logged_policy,
    uniform_policy,
)


def decision_report(engine: Engine, decision: DecisionSpec) -> dict[str, Any]:
    rows = store.logged_decisions(engine, decision.id)
    per_action: dict[str, dict[str, Any]] = {
        a.name: {"action": a.name, "story": a.story, "decisions": 0, "ctas": 0, "completions": 0, "learned": 0,
                 "reward": 0.0} for a in decision.actions}
    by_day: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    log: list[Logged] = []
    for row in rows:
        item = per_action.setdefault(row["action"], {"action": row["action"], "story": "?", "decisions": 0, "ctas": 0,
                                                     "completions": 0, "learned": 0, "reward": 0.0})
        item["decisions"] += 1
        item["ctas"] += int(bool(row["cta"]))
        item["completions"] += int(bool(row["completed"]))
        by_day[row["created_at"].date().isoformat()][row["action"]] += 1
        if row["reward"] is None:
            continue
        item["learned"] += 1
        item["reward"] += row["reward"]
        scores = json.loads(row["scores"])
        log.append(Logged(
            features=json.loads(row["features"]), actions=tuple(json.loads(row["actions"])), action=row["action"],
            propensity=row["propensity"], reward=row["reward"],
            weights={s["action"]: s["value"] * s["lever"] for s in scores},
            probabilities={s["action"]: s.get("probability", 0.0) for s in scores if s["eligible"]}))
    for item in per_action.values():
        item["reward_rate"] = round(item["reward"] / item["learned"], 4) if item["learned"] else None
        item["reward"] = round(item["reward"], 4)
    version, state = store.load_model(engine, decision.id)
    model = ResponseModel(state)
    try:
        cache: dict[int, dict[str, float]] = {}

        def predicted(d: Logged) -> dict[str, float]:
            if id(d) not in cache:
                cache[id(d)] = model.estimate(d.features, d.actions)
            return cache[id(d)]

        policies = {"learned": greedy_policy(predicted), "uniform": uniform_policy, "in_force": logged_policy}
        estimates = {name: {"ips": ips(log, policy).as_dict(), "dr": doubly_robust(log, policy, predicted).as_dict()}
                     for name, policy in policies.items()}
    finally:
        model.close()
    days = sorted(by_day)
    allocation = [{"day": day, **{a: by_day[day].get(a, 0) for a in per_action}} for day in days]
    return {"decision": decision.id, "title": decision.title, "decisions": len(rows), "learned": len(log),
            "model_version": version, "actions": list(per_action.values()), "allocation": allocation,
            "off_policy": estimates,
            "note": f"estimates are mean reward per decision (CTA = {decision.cta_reward:g}, completion = "
                    f"{decision.completion_reward:g}) over learned decisions; the learned policy is the current "
                    "model without exploration"}


def report_text(report: dict[str, Any]) -> str:
    lines = [f"decision {report['decision']} ({report['title']}): {report['decisions']} decisions, "
             f"{report['learned']} with a final reward, model version {report['model_version']}", "",
             f"{'action':<18} {'story':<16} {'decisions':>9} {'CTAs':>6} {'completed':>9} {'reward rate':>11}"]
    for a in report["actions"]:
        rate = "-" if a["reward_rate"] is None else f"{a['reward_rate']:.3f}"
        lines.append(f"{a['action']:<18} {a['story']:<16} {a['decisions']:>9} {a['ctas']:>6} "
                     f"{a['completions']:>9} {rate:>11}")
    lines += ["", "off-policy estimates (mean reward per decision, 95% interval):"]
    for name, both in report["off_policy"].items():
        parts = [f"{kind.upper()} {e['value']:.3f} [{e['ci95'][0]:.3f}, {e['ci95'][1]:.3f}]"
                 for kind, e in both.items()]
        lines.append(f"  {name:<9} " + "   ".join(parts))
    if report["allocation"]:
        names = [a["action"] for a in report["actions"]]
        lines += ["", "allocation over time (decisions per day): " + ", ".join(names)]
        for row in report["allocation"]:
            total = sum(row[n] for n in names) or 1
            lines.append(f"  {row['day']}  " + "  ".join(f"{n} {row[n] / total:.0%}" for n in names))
    lines += ["", report["note"]]
    return "\n".join(lines) + "\n"
