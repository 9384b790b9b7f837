"""Per-trial metrics and the 0-100 score (the formula is docs/trainer.md's; keep them in step).

Input is one trial's window of the *detection* signal (tremor removed, as the hold detector and
:mod:`presshold.signal.metrics` use it): from the press cue to the trial's end. The press and
release thresholds are the hold detector's own (:class:`~presshold.signal.HoldParams`), so a
trial's "press" is the press the live view saw.

The score, in one line: ``100 × A × (0.6 + 0.4 × mean(S, C)) [× (0.5 + 0.5 × R)]`` where

- ``A`` accuracy: time-weighted credit over the hold window, 1 inside the band, falling linearly
  to 0 one more half-width outside it (partial credit near the band, as CPR scoring gives), 0
  after release; with a reference the credit is measured against the reference's curve instead;
- ``S`` steadiness: 1 at a coefficient of variation ≤ 5 %, 0 at ≥ 15 % (CV < 15 % is the usual
  "consistent" line of algometry software);
- ``C`` completion: the share of ``hold_s`` held before releasing;
- ``R`` rate (only when the step asks a rate): 1 at the asked rate, 0 at ±100 % off; it
  multiplies too (at most halving the score), because the rate is then the point of the step.

Accuracy multiplies, so a steady, complete hold at the wrong force cannot pass.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from presshold.signal import HoldParams

CV_FULL, CV_ZERO = 0.05, 0.15  # steadiness: full credit at or below, none at or above
ONSET_FRACTION = 0.1  # time to band counts from the last sample below 10 % of the target
RATE_LOW, RATE_HIGH = 0.2, 0.8  # rate of application: the rise from 20 % to 80 % of target
BASE, QUALITY = 0.6, 0.4  # score = 100·A·(BASE + QUALITY·mean(S, C))·(RATE_BASE + …·R)
RATE_BASE = 0.5


@dataclass(frozen=True, slots=True)
class Reference:
    """An expert's trace (detection signal, seconds from any origin) used as the target shape."""

    t_s: np.ndarray
    force_n: np.ndarray

    def press_start(self, target_n: float, half_width_n: float, hold_s: float) -> float | None:
        p = HoldParams(target_n, half_width_n, hold_s)
        i = _first(self.force_n >= p.press_on_n)
        return None if i is None else _cross(self.t_s, self.force_n, i, p.press_on_n)


@dataclass(frozen=True, slots=True)
class TrialMetrics:
    """Everything a trial is judged on; times are seconds from the trial's start (the cue)."""

    pressed: bool
    press_start_s: float | None
    release_s: float | None
    time_to_band_s: float | None
    overshoot_pct: float | None
    time_in_band_pct: float
    mean_n: float | None
    mean_error_n: float | None
    sd_n: float | None
    cv: float | None
    rms_error_n: float | None
    peak_n: float | None
    rate_n_per_s: float | None
    rate_asked_n_per_s: float | None
    rate_error_pct: float | None
    held_s: float
    hold_completed: bool
    reference_rms_n: float | None
    accuracy: float
    steadiness: float
    completion: float
    rate_score: float | None
    score: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


METRIC_FIELDS: tuple[str, ...] = tuple(TrialMetrics.__dataclass_fields__)


def _first(mask: np.ndarray, start: int = 0) -> int | None:
    idx = np.flatnonzero(mask[start:])
    return int(idx[0]) + start if idx.size else None


def _cross(t: np.ndarray, f: np.ndarray, i: int, level: float) -> float:
    """When the trace crossed ``level`` between samples ``i-1`` and ``i`` (linear)."""
    if i == 0 or f[i] == f[i - 1]:
        return float(t[i])
    frac = (level - f[i - 1]) / (f[i] - f[i - 1])
    return float(t[i - 1] + min(max(frac, 0.0), 1.0) * (t[i] - t[i - 1]))


def _weights(t: np.ndarray) -> np.ndarray:
    """Each sample holds until the next one; the last for one typical period."""
    if t.size < 2:
        return np.full(t.size, 0.0)
    dt = np.diff(t)
    return np.append(dt, float(np.median(dt)))


def credit(force: np.ndarray, centre: np.ndarray | float, half_width: float) -> np.ndarray:
    """1 within ``half_width`` of ``centre``, down to 0 at twice that distance (linear)."""
    return np.clip(2.0 - np.abs(force - centre) / half_width, 0.0, 1.0)


def steadiness(cv: float | None) -> float:
    if cv is None:
        return 0.0
    return float(np.clip((CV_ZERO - cv) / (CV_ZERO - CV_FULL), 0.0, 1.0))


def combine(accuracy: float, stead: float, completion: float, rate: float | None) -> float:
    rate_factor = 1.0 if rate is None else RATE_BASE + (1 - RATE_BASE) * rate
    return round(100.0 * accuracy * (BASE + QUALITY * (stead + completion) / 2) * rate_factor, 1)


def score_trial(
    t_s: np.ndarray,
    force_n: np.ndarray,
    *,
    target_n: float,
    half_width_n: float,
    hold_s: float,
    ramp_n_per_s: float | None = None,
    reference: Reference | None = None,
    hold_from: str = "band",
) -> TrialMetrics:
    """Metrics and score of one trial (module docstring; docs/trainer.md).

    ``hold_from``: where the ``hold_s`` window starts — ``"band"`` (the first time in the band,
    as the live hold timer counts) or ``"press"`` (the press start: a hidden trial's student is
    told to hold ``hold_s`` from the press, by the clock, since they cannot see the band)."""
    if hold_from not in ("band", "press"):
        raise ValueError(f"hold_from must be 'band' or 'press', not {hold_from!r}")
    t = np.asarray(t_s, dtype=float)
    f = np.asarray(force_n, dtype=float)
    if t.size == 0:
        return _no_press(ramp_n_per_s)
    t = t - t[0]
    params = HoldParams(target_n, half_width_n, hold_s)
    lo, hi = params.band
    i_p = _first(f >= params.press_on_n)
    if i_p is None:
        return _no_press(ramp_n_per_s)
    t_p = _cross(t, f, i_p, params.press_on_n)
    i_r = _first(f < params.release_n, i_p)
    t_r = _cross(t, f, i_r, params.release_n) if i_r is not None else None
    end_press = i_r if i_r is not None else f.size
    # first time in the band during the press (crossing the lower edge up, or the upper down)
    in_band = (f >= lo) & (f <= hi)
    i_b = _first(in_band[:end_press], i_p)
    t_b: float | None = None
    if i_b is not None:
        t_b = _cross(t, f, i_b, lo if i_b == 0 or f[i_b - 1] < lo else hi)
    below = np.flatnonzero(f[: i_p + 1] < ONSET_FRACTION * target_n)
    t_on = float(t[below[-1]]) if below.size else 0.0
    peak = float(f[i_p:end_press].max())

    t_h = t_b if t_b is not None and hold_from == "band" else t_p
    w = _weights(t)
    win = (t >= t_h) & (t < t_h + hold_s)
    w_win = np.where(win, np.minimum(w, np.maximum(t_h + hold_s - t, 0.0)), 0.0)
    # steadiness and error describe the hold itself: from the band entry on when reached (a
    # hidden trial's window also holds the end of the ramp, which is not unsteadiness)
    pressing = win & (np.arange(f.size) < end_press) & (t >= (t_b if t_b is not None else t_h))
    in_band_s = float(w_win[in_band].sum())
    held_end = min(t_r if t_r is not None else math.inf, t_h + hold_s, float(t[-1] + w[-1]))
    held_s = max(0.0, held_end - t_h)

    mean = sd = cv = mean_err = rms = None
    if pressing.any():
        wp = w_win[pressing]
        fp = f[pressing]
        if wp.sum() <= 0:
            wp = np.ones_like(fp)
        mean = float(np.average(fp, weights=wp))
        sd = float(math.sqrt(np.average((fp - mean) ** 2, weights=wp)))
        cv = sd / mean if mean > 0 else None
        mean_err = mean - target_n
        rms = float(math.sqrt(np.average((fp - target_n) ** 2, weights=wp)))

    rate = _rate(t, f, i_p, target_n)
    rate_err = rate_sc = None
    if ramp_n_per_s is not None:
        rate_sc = 0.0
        if rate is not None:
            rate_err = 100.0 * (rate - ramp_n_per_s) / ramp_n_per_s
            rate_sc = float(np.clip(1.0 - abs(rate_err) / 100.0, 0.0, 1.0))

    ref_rms = None
    if reference is not None:
        accuracy, ref_rms = _against_reference(t, f, w, t_p, reference, params)
    else:
        accuracy = float((w_win * credit(f, target_n, half_width_n)).sum() / hold_s)
    completion = min(1.0, held_s / hold_s)
    stead = steadiness(cv)
    return TrialMetrics(
        pressed=True,
        press_start_s=round(t_p, 4),
        release_s=None if t_r is None else round(t_r, 4),
        time_to_band_s=None if t_b is None else round(t_b - t_on, 4),
        overshoot_pct=round(max(0.0, peak - hi) / target_n * 100.0, 3),
        time_in_band_pct=round(100.0 * in_band_s / hold_s, 3),
        mean_n=_r(mean),
        mean_error_n=_r(mean_err),
        sd_n=_r(sd),
        cv=_r(cv, 5),
        rms_error_n=_r(rms),
        peak_n=round(peak, 4),
        rate_n_per_s=_r(rate),
        rate_asked_n_per_s=ramp_n_per_s,
        rate_error_pct=_r(rate_err, 2),
        held_s=round(held_s, 4),
        hold_completed=t_b is not None and held_s >= hold_s - 1e-6,
        reference_rms_n=_r(ref_rms),
        accuracy=round(min(1.0, accuracy), 5),
        steadiness=round(stead, 5),
        completion=round(completion, 5),
        rate_score=rate_sc,
        score=combine(min(1.0, accuracy), stead, completion, rate_sc),
    )


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None else round(x, nd)


def _no_press(ramp: float | None) -> TrialMetrics:
    return TrialMetrics(
        pressed=False, press_start_s=None, release_s=None, time_to_band_s=None,
        overshoot_pct=None, time_in_band_pct=0.0, mean_n=None, mean_error_n=None, sd_n=None,
        cv=None, rms_error_n=None, peak_n=None, rate_n_per_s=None, rate_asked_n_per_s=ramp,
        rate_error_pct=None, held_s=0.0, hold_completed=False, reference_rms_n=None,
        accuracy=0.0, steadiness=0.0, completion=0.0, rate_score=None if ramp is None else 0.0,
        score=0.0,
    )  # fmt: skip


def _rate(t: np.ndarray, f: np.ndarray, i_p: int, target_n: float) -> float | None:
    """Rise rate from 20 % to 80 % of the target on the way into this press."""
    low, high = RATE_LOW * target_n, RATE_HIGH * target_n
    below = np.flatnonzero(f[: i_p + 1] < low)
    start = int(below[-1]) + 1 if below.size else 0
    i_hi = _first(f >= high, start)
    if i_hi is None or start == 0:
        return None  # already pressing when the trial began: no ramp to judge
    t_lo = _cross(t, f, start, low)
    t_hi = _cross(t, f, i_hi, high)
    if t_hi <= t_lo:
        return None  # a step (faster than one sample): no measurable rate
    return (high - low) / (t_hi - t_lo)


def _against_reference(
    t: np.ndarray,
    f: np.ndarray,
    w: np.ndarray,
    t_p: float,
    ref: Reference,
    params: HoldParams,
) -> tuple[float, float]:
    """Accuracy and RMS difference against the reference, press starts aligned; the comparison
    lasts as long as the reference does after its press start (time the trial lacks counts 0)."""
    half = params.tolerance_n
    ref_p = ref.press_start(params.target_n, half, params.hold_s)
    if ref_p is None:
        ref_p = float(ref.t_s[0])
    span = float(ref.t_s[-1]) - ref_p
    if span <= 0:
        return 0.0, float("nan")
    rel = t - t_p
    win = (rel >= 0) & (rel <= span)
    if not win.any():
        return 0.0, float(np.sqrt(np.mean(ref.force_n**2)))
    r = np.interp(rel[win] + ref_p, ref.t_s, ref.force_n)
    ww = np.minimum(w[win], np.maximum(span - rel[win], 0.0))
    if ww.sum() <= 0:
        ww = np.ones_like(r)
    acc = float((ww * credit(f[win], r, half)).sum() / span)
    rms = float(math.sqrt(np.average((f[win] - r) ** 2, weights=ww)))
    return acc, rms


def passed(score: float, pass_score: float) -> bool:
    return score >= pass_score


def protocol_result(scores: list[float], total: int, pass_score: float, pass_share: float):
    """``{"passed", "trials_passed", "trials", "needed"}``: the protocol passes when at least
    ``ceil(pass_share × total)`` of its trials pass (4 of 5 at the default 0.8). Trials never
    run count as failed, so a stopped run cannot pass on its few good trials."""
    needed = math.ceil(pass_share * total - 1e-9)
    ok = sum(1 for s in scores if passed(s, pass_score))
    return {"passed": ok >= needed, "trials_passed": ok, "trials": total, "needed": needed}
