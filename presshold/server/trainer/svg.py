"""Small SVG charts rendered on the server, so reports print the same on every browser and need
no script: a trial's trace with its band (and a reference ghost), and scores over time."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

W, H = 640, 180
PAD_L, PAD_R, PAD_T, PAD_B = 44, 10, 10, 26


def _nice_max(x: float) -> float:
    for step in (5, 10, 20, 25, 50, 100, 200, 500, 1000):
        if x <= step * 5:
            return float(step * max(1, -(-x // step)))
    return x


def trace_svg(
    trace: Sequence[Sequence[float]],
    band: Sequence[float],
    target: float,
    *,
    ghost: Sequence[Sequence[float]] | None = None,
    ghost_shift_s: float = 0.0,
    title: str = "",
) -> str:
    """Force (N) against seconds from the cue; the band shaded, the target dashed."""
    ts = [p[0] for p in trace] or [0.0, 1.0]
    fs = [p[1] for p in trace] or [0.0]
    g = [(p[0] + ghost_shift_s, p[1]) for p in ghost or [] if p[0] + ghost_shift_s >= 0]
    t_max = max(max(ts), max((p[0] for p in g), default=0.0), 1.0)
    f_max = _nice_max(max(max(fs), band[1], max((p[1] for p in g), default=0.0)) * 1.1)

    def x(t: float) -> float:
        return PAD_L + (W - PAD_L - PAD_R) * t / t_max

    def y(f: float) -> float:
        return PAD_T + (H - PAD_T - PAD_B) * (1 - f / f_max)

    parts = [
        f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}">',
        f'<rect class="band" x="{PAD_L}" y="{y(band[1]):.1f}" width="{W - PAD_L - PAD_R}" '
        f'height="{y(band[0]) - y(band[1]):.1f}"/>',
        f'<line class="target" x1="{PAD_L}" x2="{W - PAD_R}" y1="{y(target):.1f}" '
        f'y2="{y(target):.1f}"/>',
    ]
    for k in range(0, 6):
        fv = f_max * k / 5
        parts.append(
            f'<text class="tick" x="{PAD_L - 4}" y="{y(fv) + 4:.1f}" text-anchor="end">'
            f"{fv:g}</text>"
        )
    step = max(1, round(t_max / 8))
    for s in range(0, int(t_max - 0.5 * step) + 1, step):  # room for the unit at the end
        parts.append(
            f'<text class="tick" x="{x(s):.1f}" y="{H - 8}" text-anchor="middle">{s}</text>'
        )
    parts.append(f'<text class="tick" x="{W - PAD_R}" y="{H - 8}" text-anchor="end">s</text>')
    parts.append(f'<text class="tick" x="4" y="{PAD_T + 8}">N</text>')
    if g:
        pts = " ".join(f"{x(t):.1f},{y(f):.1f}" for t, f in g)
        parts.append(f'<polyline class="ghost" points="{pts}"/>')
    if trace:
        pts = " ".join(f"{x(p[0]):.1f},{y(p[1]):.1f}" for p in trace)
        parts.append(f'<polyline class="line" points="{pts}"/>')
    parts.append("</svg>")
    return "".join(parts)


def scores_svg(points: Sequence[tuple[float, bool]], pass_score: float, title: str = "") -> str:
    """Each trial's score in order; filled dots were seen, open dots hidden (blind/after)."""
    n = max(len(points), 2)

    def x(i: int) -> float:
        return PAD_L + (W - PAD_L - PAD_R) * i / (n - 1)

    def y(s: float) -> float:
        return PAD_T + (H - PAD_T - PAD_B) * (1 - s / 100)

    parts = [
        f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}">',
        f'<line class="target" x1="{PAD_L}" x2="{W - PAD_R}" y1="{y(pass_score):.1f}" '
        f'y2="{y(pass_score):.1f}"/>',
    ]
    for s in (0, 50, 100):
        parts.append(
            f'<text class="tick" x="{PAD_L - 4}" y="{y(s) + 4:.1f}" text-anchor="end">{s}</text>'
        )
    if points:
        pts = " ".join(f"{x(i):.1f},{y(s):.1f}" for i, (s, _) in enumerate(points))
        parts.append(f'<polyline class="line thin" points="{pts}"/>')
    for i, (s, shown) in enumerate(points):
        cls = "dot" if shown else "dot hidden"
        parts.append(f'<circle class="{cls}" cx="{x(i):.1f}" cy="{y(s):.1f}" r="4"/>')
    parts.append(f'<text class="tick" x="{W - PAD_R}" y="{H - 8}" text-anchor="end">trial</text>')
    parts.append("</svg>")
    return "".join(parts)
