"""Pressure-pain threshold (algometry): one trial from the trace, and the statistics of repeats.

The therapist presses at a steady rate (10 N/s by default: with a 1 cm² probe about 1 kgf/cm²/s,
the usual algometry rate) until the client signals; the threshold is the force at that moment.
How fast the force rose matters as much as the value (a faster ramp overshoots by the client's
reaction time and reads higher), so each trial also records the actual rate: the least-squares
slope of the ramp from where it left rest to the signal.

Repeats at one site (3 by default) give a mean, a spread (sample SD) and a coefficient of
variation; a CV over 15 % means the repeats disagree (too few, a moving site, a learning client)
and is flagged. Paired sites compare left with right.

Pure (NumPy only): the server records trials with it, the reports summarise them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from presshold.errors import Conflict

DEFAULT_RATE_N_PER_S = 10.0
DEFAULT_REPS = 3
CV_FLAG_PCT = 15.0
ONSET_FRACTION = 0.10
"""The ramp starts where the force last rose through 10 % of the threshold: below that the
probe is still settling on the skin, and the slope there is not the pressing rate."""
MAX_GAP_S = 0.5
"""The newest reading before the signal must be this recent, else there is no threshold to take."""
SPIKE_N = 8.0
"""A sample this far from the median of its neighbourhood is a glitch, not force (a hand ramps
at most ~50 N/s: 5 N per sample even on a 10 SPS sensor)."""
RATE_TOLERANCE = 0.2
"""Within ±20 % of the asked rate is "on pace" (what the live guide shows)."""


@dataclass(frozen=True)
class Trial:
    value_n: float
    rate_n_per_s: float | None
    """None when the ramp is too short to measure (fewer than 3 readings)."""
    onset_t_s: float
    t_s: float


def despike(f: np.ndarray) -> np.ndarray:
    """Single-sample spikes (an HX711 glitch, a bit error) replaced by the median of the sample
    and its neighbours: they are not force and must become neither a threshold nor a ramp's
    start. Only samples more than ``SPIKE_N`` from that median are touched, so a ramp — even a
    fast one on a 10 SPS sensor, ~1-5 N per sample — passes exactly."""
    if f.size < 3:
        return f
    a, b, c = f[:-2], f[1:-1], f[2:]
    med = np.empty_like(f)
    med[1:-1] = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
    med[0], med[-1] = np.median(f[:3]), np.median(f[-3:])  # the ends: their nearest three
    return np.where(np.abs(f - med) > SPIKE_N, med, f)


def measure_trial(t: np.ndarray, f: np.ndarray, t_take: float) -> Trial:
    """The threshold at ``t_take`` from the readings ``(t, f)`` (session seconds, newtons)."""
    upto = int(np.searchsorted(t, t_take, side="right"))
    if upto == 0 or t_take - float(t[upto - 1]) > MAX_GAP_S:
        raise Conflict("no readings at the moment of the threshold: is the sensor streaming?")
    t, f = t[:upto], despike(np.asarray(f[:upto], dtype=float))
    value = float(f[-1])
    if value <= 0:
        raise Conflict("no pressure at the moment of the threshold (0 N): press, then signal")
    below = np.flatnonzero(f < ONSET_FRACTION * value)
    start = int(below[-1]) + 1 if below.size else 0
    rt, rf = t[start:], f[start:]
    rate = float(np.polyfit(rt - rt[0], rf, 1)[0]) if len(rt) >= 3 and rt[-1] > rt[0] else None
    return Trial(value, rate, float(t[start]), float(t_take))


def pace(actual: float | None, asked: float) -> str:
    """``"too fast"``, ``"too slow"`` or ``"on pace"`` (``"unknown"`` without a rate)."""
    if actual is None:
        return "unknown"
    if actual > asked * (1 + RATE_TOLERANCE):
        return "too fast"
    if actual < asked * (1 - RATE_TOLERANCE):
        return "too slow"
    return "on pace"


@dataclass(frozen=True)
class SiteStats:
    site: str
    side: str | None
    n: int
    mean_n: float
    sd_n: float | None
    """Sample SD (n - 1); None for a single trial."""
    cv_pct: float | None
    cv_flag: bool
    """CV over 15 %: the repeats disagree."""
    values_n: list[float]


def site_stats(site: str, side: str | None, values: Sequence[float]) -> SiteStats:
    v = np.asarray(values, dtype=float)
    mean = float(v.mean())
    sd = float(v.std(ddof=1)) if len(v) >= 2 else None
    cv = 100 * sd / mean if sd is not None and mean > 0 else None
    return SiteStats(
        site, side, len(v), mean, sd, cv, cv is not None and cv > CV_FLAG_PCT, v.tolist()
    )


def summarise(trials: Iterable[dict[str, Any]]) -> list[SiteStats]:
    """Stats per (site, side) of ``ppt`` events, in the order sites were first measured."""
    groups: dict[tuple[str, str | None], list[float]] = {}
    for e in trials:
        groups.setdefault((e["site"], e.get("side")), []).append(float(e["value_n"]))
    return [site_stats(site, side, vals) for (site, side), vals in groups.items()]


@dataclass(frozen=True)
class LeftRight:
    site: str
    left_n: float
    right_n: float
    difference_n: float
    """Left minus right."""
    asymmetry_pct: float
    """The difference as a percentage of the mean of both sides."""


def left_right(stats: Iterable[SiteStats]) -> list[LeftRight]:
    """Paired sites measured on both sides."""
    by = {(s.site, s.side): s.mean_n for s in stats}
    out = []
    for (site, side), left in by.items():
        right = by.get((site, "R"))
        if side == "L" and right is not None:
            mean = (left + right) / 2
            out.append(LeftRight(site, left, right, left - right, 100 * (left - right) / mean))
    return out


def target_from_threshold(threshold_n: float, pct: float) -> float:
    """A treatment target at ``pct`` % of a threshold (e.g. 70 %: firm but below pain)."""
    if not (0 < pct <= 100) or not math.isfinite(threshold_n) or threshold_n <= 0:
        raise ValueError("the percentage must be 1-100 and the threshold above 0 N")
    return threshold_n * pct / 100


def as_dicts(items: Iterable[object]) -> list[dict[str, Any]]:
    return [asdict(x) for x in items]  # type: ignore[call-overload]
