"""Synthetic force traces for the signal tests: levels joined by linear ramps."""

from __future__ import annotations

import numpy as np


def piecewise(points: list[tuple[float, float]], rate: float) -> tuple[np.ndarray, np.ndarray]:
    """(time, force) knots → sampled trace at ``rate`` (linear between knots)."""
    knots_t = np.array([p[0] for p in points])
    knots_f = np.array([p[1] for p in points])
    t = np.arange(0.0, knots_t[-1], 1.0 / rate)
    return t, np.interp(t, knots_t, knots_f)


def levels(segments: list[tuple[float, float]], ramp_s: float = 0.3) -> list[tuple[float, float]]:
    """[(level, seconds), …] → knots; each level is reached by a ramp of ``ramp_s``."""
    pts = [(0.0, segments[0][0])]
    t = 0.0
    for i, (level, dur) in enumerate(segments):
        if i:
            t += ramp_s
            pts.append((t, level))
        t += dur
        pts.append((t, level))
    return pts
