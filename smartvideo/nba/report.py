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


def allocation_report(engine: Engine, story: Any) -> dict[str, Any]:
    """An adaptive story's variants: views, successes, the share new links get now, and per day."""
    import random

    from smartvideo.nba.adaptive import allocation_shares

    names = [v.name for v in story.variants]
    if story.allocation is None:
        return {"story": story.id, "allocation": "fixed", "weights": {v.name: v.weight for v in story.variants}}
    stats = store.variant_stats(engine, story.id, names, story.allocation.reward)
    shares = allocation_shares(stats, story.allocation.min_share, random.Random(0))
    days: dict[str, dict[str, int]] = {}
    for day, variant, n in store.variant_allocation(engine, story.id):
        days.setdefault(day.isoformat(), dict.fromkeys(names, 0))[variant] = n
    return {"story": story.id, "allocation": "adaptive", "reward": story.allocation.reward,
            "min_share": story.allocation.min_share,
            "variants": [{"variant": v, "views": stats[v][0], "successes": stats[v][1],
                          "rate": round(stats[v][1] / stats[v][0], 4) if stats[v][0] else None,
                          "share_now": round(shares[v], 3)} for v in names],
            "over_time": [{"day": day, **counts} for day, counts in sorted(days.items())]}


def allocation_text(report: dict[str, Any]) -> str:
    if report["allocation"] == "fixed":
        return f"story {report['story']}: fixed weights {report['weights']}\n"
    lines = [f"story {report['story']}: adaptive allocation on {report['reward']} (min share "
             f"{report['min_share']:g})", "",
             f"{'variant':<12} {'views':>7} {'successes':>9} {'rate':>7} {'share now':>9}"]
    for v in report["variants"]:
        rate = "-" if v["rate"] is None else f"{v['rate']:.3f}"
        lines.append(f"{v['variant']:<12} {v['views']:>7} {v['successes']:>9} {rate:>7} {v['share_now']:>9.0%}")
    if report["over_time"]:
        names = [v["variant"] for v in report["variants"]]
        lines += ["", "new links per day: " + ", ".join(names)]
        for row in report["over_time"]:
            total = sum(row[n] for n in names) or 1
            lines.append(f"  {row['day']}  " + "  ".join(f"{n} {row[n]} ({row[n] / total:.0%})" for n in names))
    return "\n".join(lines) + "\n"
