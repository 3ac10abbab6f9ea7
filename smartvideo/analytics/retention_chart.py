"""The retention curve as an inline SVG (drawn on the server: no script, no CDN)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from smartvideo.analytics.report_model import SceneFigures

COLOURS = ("#1f5fbf", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285")


def retention_svg(
    curves: Sequence[tuple[str, Sequence[float]]],
    scenes: Sequence[SceneFigures],
    width: int = 760,
    height: int = 280,
    band: tuple[Sequence[float], Sequence[float]] | None = None,
) -> str:
    """Lines of retention (share 0..1 per second) with dashed scene boundaries and a legend; `band`
    (low, high per second) is drawn behind them as the typical range of similar videos."""
    left, right, top, bottom = 44, 12, 26, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max((len(values) for _, values in curves), default=0)
    span = max(n, 1)

    def x(second: float) -> float:
        return left + plot_w * second / span

    def y(share: float) -> float:
        return top + plot_h * (1 - max(0.0, min(1.0, share)))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Retention curve" class="retention-chart" font-family="sans-serif" font-size="11">'
    ]
    for share in (0, 0.25, 0.5, 0.75, 1):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(share):.1f}" y2="{y(share):.1f}" '
            f'stroke="#ddd"/><text x="{left - 6}" y="{y(share) + 4:.1f}" text-anchor="end" '
            f'fill="#555">{int(share * 100)}%</text>'
        )
    step = max(1, span // 10)
    for second in range(0, span + 1, step):
        parts.append(f'<text x="{x(second):.1f}" y="{height - 10}" text-anchor="middle" fill="#555">{second}s</text>')
    for scene in scenes:
        parts.append(
            f'<line class="scene-boundary" x1="{x(scene.start):.1f}" x2="{x(scene.start):.1f}" '
            f'y1="{top}" y2="{top + plot_h}" stroke="#999" stroke-dasharray="4 3"/>'
            f'<text x="{x(scene.start) + 3:.1f}" y="{top - 8}" fill="#333">{escape(scene.id)}</text>'
        )
    if band and band[0]:
        low, high = band
        upper = " ".join(f"{x(s):.1f},{y(v):.1f} {x(s + 1):.1f},{y(v):.1f}" for s, v in enumerate(high))
        lower = " ".join(f"{x(s + 1):.1f},{y(v):.1f} {x(s):.1f},{y(v):.1f}" for s, v in reversed(list(enumerate(low))))
        parts.append(f'<polygon class="typical-band" fill="#adb5bd" fill-opacity="0.35" stroke="none" '
                     f'points="{upper} {lower}"><title>typical range of similar videos</title></polygon>')
    for index, (name, values) in enumerate(curves):
        if not values:
            continue
        colour = COLOURS[index % len(COLOURS)]
        # each second is a step: second s holds its share from s to s+1
        points = " ".join(f"{x(s):.1f},{y(v):.1f} {x(s + 1):.1f},{y(v):.1f}" for s, v in enumerate(values))
        parts.append(
            f'<polyline class="retention-line" data-name="{escape(name)}" fill="none" '
            f'stroke="{colour}" stroke-width="2" points="{points}"/>'
        )
        parts.append(
            f'<rect x="{width - right - 120}" y="{top + 6 + index * 16}" width="10" height="10" '
            f'fill="{colour}"/><text x="{width - right - 105}" y="{top + 15 + index * 16}">'
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
