"""A report as JSON, CSV, plain text or HTML (the same HTML the analyst page serves)."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from smartvideo.analytics.report_model import Comparison, Figures, Report
from smartvideo.analytics.retention_chart import retention_svg

FORMATS = ("text", "csv", "json", "html")
RATES = ("open_rate", "play_rate", "completion_rate", "avg_watched", "cta_rate", "error_rate")
COUNTS = ("links", "views", "unique_viewers", "repeat_views", "rewatch_views", "rewatched_seconds")


def _number(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _comparison(c: Comparison) -> dict[str, float | None]:
    return {"difference": _number(c.difference), "z": _number(c.z), "p_value": _number(c.p_value)}


def figures_dict(f: Figures) -> dict[str, Any]:
    return {
        **{name: getattr(f, name) for name in COUNTS},
        **{name: getattr(f, name) for name in RATES},
        "plays": f.plays,
        "completions": f.completions,
        "ctas": f.ctas,
        "retention": list(f.retention),
        "rewatches": list(f.rewatches),
        "scenes": [
            {
                "id": s.id,
                "start": s.start,
                "end": s.end,
                "reached": s.reached,
                "dropoff": s.dropoff,
                "lost": s.lost,
            }
            for s in f.scenes
        ],
    }


def report_dict(report: Report) -> dict[str, Any]:
    """The JSON shape: the story's figures at top level, then variants, comparisons, devices, engagement."""
    return {
        "story": report.story,
        "generated_at": report.generated_at.isoformat(),
        "filters": report.filters.as_dict(),
        **figures_dict(report.figures),
        "variants": {name: {"variant": name, **figures_dict(f)} for name, f in report.variants.items()},
        "comparisons": [
            {
                "variant": c.variant,
                "baseline": c.baseline,
                "play_rate": _comparison(c.play_rate),
                "completion_rate": _comparison(c.completion_rate),
                "cta_rate": _comparison(c.cta_rate),
                "avg_watched": _comparison(c.avg_watched),
            }
            for c in report.comparisons
        ],
        "devices": {name: {"device": name, **figures_dict(f)} for name, f in report.devices.items()},
        "engagement": {
            "points": report.engagement.points,
            "customers": report.engagement.customers,
            "mean_score": report.engagement.mean_score,
            "top": [
                {
                    "customer_id": c.customer_id,
                    "variant": c.variant,
                    "views": c.views,
                    "opened": c.opened,
                    "watched_half": c.watched_half,
                    "completed": c.completed,
                    "cta": c.cta,
                    "score": c.score,
                }
                for c in report.engagement.top
            ],
        },
        "channels": {
            ch.channel: {
                "links": ch.links, "opens": ch.opens, "plays": ch.plays, "completions": ch.completions,
                "ctas": ch.ctas, "open_rate": ch.open_rate, "play_rate": ch.play_rate,
                "completion_rate": ch.completion_rate, "cta_rate": ch.cta_rate,
            }
            for ch in report.channels
        },
        "funnel": [
            {"stage": st.stage, "count": st.count, "of_links": st.of_links, "of_previous": st.of_previous}
            for st in report.funnel
        ],
        "intro_retention": report.intro,
        "scene_clicks": report.scene_clicks,
        "query_ms": round(report.query_ms, 2),
    }


def to_json(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _p(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.3g}"


def _groups(report: Report) -> list[tuple[str, Figures]]:
    return [
        ("all", report.figures),
        *((f"variant {k or '-'}", v) for k, v in report.variants.items()),
        *((f"device {k}", v) for k, v in report.devices.items()),
    ]


def scene_groups(report: Report) -> list[tuple[str, tuple[Any, ...]]]:
    """(variant, scenes) to show: the story's scenes, or each variant's own when variants differ."""
    if report.figures.scenes or len(report.variants) <= 1:
        return [("", report.figures.scenes)]
    return [(name, f.scenes) for name, f in report.variants.items()]


def to_csv(report: Report) -> str:
    """Blocks separated by a blank line: summary, per second, scenes, comparisons, engagement."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    groups = _groups(report)
    w.writerow(["metric", *(name for name, _ in groups)])
    for name in COUNTS:
        w.writerow([name, *(getattr(f, name) if getattr(f, name) is not None else "" for _, f in groups)])
    for name in RATES:
        w.writerow(
            [
                name,
                *(f"{getattr(f, name):.6f}" if getattr(f, name) is not None else "" for _, f in groups),
            ]
        )
    w.writerow([])
    scene_of: dict[int, str] = {}
    for scene in report.figures.scenes:
        for second in range(math.ceil(scene.start - 1e-9), math.ceil(scene.end - 1e-9)):
            scene_of.setdefault(second, scene.id)
    w.writerow(["second", "scene", "rewatches", *(f"retention {name}" for name, _ in groups)])
    for second in range(len(report.figures.retention)):
        w.writerow(
            [
                second,
                scene_of.get(second, ""),
                report.figures.rewatches[second],
                *(f"{f.retention[second]:.6f}" if second < len(f.retention) else "" for _, f in groups),
            ]
        )
    w.writerow([])
    w.writerow(["variant", "scene", "start", "end", "reached", "dropoff", "lost"])
    for variant, scenes in scene_groups(report):
        for s in scenes:
            w.writerow([variant, s.id, s.start, s.end, f"{s.reached:.6f}", f"{s.dropoff:.6f}", f"{s.lost:.6f}"])
    if report.comparisons:
        w.writerow([])
        w.writerow(["variant", "baseline", "metric", "difference", "z", "p_value"])
        for c in report.comparisons:
            for metric in ("play_rate", "completion_rate", "cta_rate", "avg_watched"):
                comp: Comparison = getattr(c, metric)
                w.writerow(
                    [
                        c.variant,
                        c.baseline,
                        metric,
                        *(_number(v) for v in (comp.difference, comp.z, comp.p_value)),
                    ]
                )
    w.writerow([])
    w.writerow(["channel", "links", "opens", "plays", "completions", "ctas", "open_rate", "play_rate",
                "completion_rate", "cta_rate"])
    for ch in report.channels:
        w.writerow([ch.channel, ch.links, ch.opens, ch.plays, ch.completions, ch.ctas,
                    *(f"{v:.6f}" for v in (ch.open_rate, ch.play_rate, ch.completion_rate, ch.cta_rate))])
    w.writerow([])
    w.writerow(["funnel stage", "count", "of_links", "of_previous"])
    for st in report.funnel:
        w.writerow([st.stage, "" if st.count is None else st.count,
                    *("" if v is None else f"{v:.6f}" for v in (st.of_links, st.of_previous))])
    w.writerow([])
    w.writerow(["customer_id", "variant", "views", "opened", "watched_half", "completed", "cta", "score"])
    for customer in report.engagement.top:
        w.writerow(
            [
                customer.customer_id,
                customer.variant,
                customer.views,
                int(customer.opened),
                int(customer.watched_half),
                int(customer.completed),
                int(customer.cta),
                customer.score,
            ]
        )
    return out.getvalue()


_BLOCKS = " ▁▂▃▄▅▆▇█"


def _spark(values: tuple[float, ...]) -> str:
    return "".join(_BLOCKS[round(max(0.0, min(1.0, v)) * 8)] for v in values)


def to_text(report: Report) -> str:
    f = report.figures
    lines = [
        f"Story {report.story}: {f.views} views, {f.unique_viewers} unique viewers "
        f"({f.repeat_views} repeat views), {f.links if f.links is not None else 'n/a'} links made",
        f"  open {_pct(f.open_rate)}  play {_pct(f.play_rate)}  complete {_pct(f.completion_rate)}  "
        f"avg watched {_pct(f.avg_watched)}  CTA {_pct(f.cta_rate)}",
        f"  rewatches: {f.rewatch_views} views rewatched {f.rewatched_seconds} seconds",
        f"  retention |{_spark(f.retention)}| {len(f.retention)} s",
        "",
        "Scenes (drop-off = left in it):",
    ]
    for variant, scenes in scene_groups(report):
        if variant:
            lines.append(f" variant {variant}:")
        for s in scenes:
            lines.append(
                f"  {s.id:<20} {s.start:6.1f}-{s.end:6.1f}s  reached {_pct(s.reached):>6}  "
                f"drop-off {_pct(s.dropoff):>6}"
            )
    if report.variants:
        lines += ["", "Variants:"]
        for name, v in report.variants.items():
            lines.append(
                f"  {name or '-':<10} views {v.views:>7}  play {_pct(v.play_rate):>6}  "
                f"complete {_pct(v.completion_rate):>6}  avg {_pct(v.avg_watched):>6}  "
                f"CTA {_pct(v.cta_rate):>6}"
            )
        for c in report.comparisons:
            lines.append(
                f"  {c.variant} vs {c.baseline}: completion {c.completion_rate.difference * 100:+.1f} "
                f"pts (p={_p(c.completion_rate.p_value)}), CTA {c.cta_rate.difference * 100:+.1f} pts "
                f"(p={_p(c.cta_rate.p_value)})"
                if not math.isnan(c.completion_rate.difference)
                else f"  {c.variant} vs {c.baseline}: not enough views"
            )
    if report.devices:
        lines += ["", "Devices:"]
        for name, d in report.devices.items():
            lines.append(
                f"  {name:<10} views {d.views:>7}  complete {_pct(d.completion_rate):>6}  "
                f"avg {_pct(d.avg_watched):>6}  CTA {_pct(d.cta_rate):>6}"
            )
    if report.channels:
        lines += ["", "Channels (per link):"]
        for ch in report.channels:
            lines.append(
                f"  {ch.channel:<10} links {ch.links:>7}  open {_pct(ch.open_rate):>6}  play {_pct(ch.play_rate):>6}  "
                f"complete {_pct(ch.completion_rate):>6}  CTA {_pct(ch.cta_rate):>6}"
            )
    for name, intro in report.intro.items():
        lines.append(f"  intro, variant {name or '-'}: still watching at 5 s {_pct(intro['at_5s'])}, "
                     f"at the first personal scene {_pct(intro['at_first_personal_scene'])}")
    for name, per_scene in report.scene_clicks.items():
        clicked = ", ".join(f"{c['scene']} {c['cta']} CTA/{c['chapter']} chapter" for c in per_scene
                            if c["cta"] or c["chapter"])
        if clicked:
            lines.append(f"  clicks, variant {name or '-'}: {clicked}")
    if report.funnel:
        lines += ["", "Funnel (links, each counted once):"]
        for st in report.funnel:
            count = "n/a" if st.count is None else str(st.count)
            lines.append(f"  {st.stage:<12} {count:>7}  {_pct(st.of_links):>6} of links")
    e = report.engagement
    lines += [
        "",
        f"Engagement ({', '.join(f'{k} {v}' for k, v in e.points.items())}): {e.customers} customers, "
        f"mean score {e.mean_score:.1f}",
    ]
    for customer in e.top[:10]:
        lines.append(f"  {customer.customer_id:<24} {customer.score:>5}")
    lines.append(f"(queried in {report.query_ms:.0f} ms)")
    return "\n".join(lines) + "\n"


def to_html(report: Report, templates_dir: Path, band: Any = None, **context: Any) -> str:
    """The analyst page (templates/pages/report.html), self-contained: inline CSS and SVG."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from markupsafe import Markup

    env = Environment(loader=FileSystemLoader(str(templates_dir)), autoescape=select_autoescape(["html"]))
    curves = [("all views", report.figures.retention)]
    curves += [(f"variant {k or '-'}", v.retention) for k, v in report.variants.items() if len(report.variants) > 1]
    chart = Markup(retention_svg(curves, report.figures.scenes,  # noqa: S704 - built with escape()
                                 band=(band.low, band.high) if band else None))
    device_charts = {
        name: Markup(retention_svg([(name, f.retention)], f.scenes, height=180))  # noqa: S704
        for name, f in report.devices.items()
    }
    variant_charts = {
        name: Markup(retention_svg([(f"variant {name or '-'}", f.retention)], f.scenes, height=180))  # noqa: S704
        for name, f in report.variants.items()
    }
    return env.get_template("pages/report.html").render(
        report=report,
        data=report_dict(report),
        chart=chart,
        device_charts=device_charts,
        variant_charts=variant_charts,
        band=band,
        scene_groups=scene_groups(report),
        pct=_pct,
        p=_p,
        groups=_groups(report),
        **context,
    )


def render(report: Report, fmt: str, templates_dir: Path | None = None) -> str:
    if fmt == "json":
        return to_json(report) + "\n"
    if fmt == "csv":
        return to_csv(report)
    if fmt == "text":
        return to_text(report)
    if fmt == "html":
        if templates_dir is None:
            from smartvideo.settings import find_content_root

            templates_dir = find_content_root(None) / "templates"
        return to_html(report, templates_dir)
    from smartvideo.analytics.errors import ReportError

    raise ReportError(f"unknown report format {fmt!r} (known: {', '.join(FORMATS)})")
