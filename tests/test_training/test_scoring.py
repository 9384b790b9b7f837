"""The score against hand-computed traces (docs/trainer.md's formula).

Traces are sampled at 100 Hz and built from steps and straight ramps, so every figure below can
be worked out with a pencil; tolerances allow one sample period (10 ms) of quantisation.
"""

from __future__ import annotations

import numpy as np
import pytest

from presshold.training.scoring import (
    Reference,
    combine,
    credit,
    protocol_result,
    score_trial,
    steadiness,
)

RATE = 100.0


def trace(*segments: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Segments of (duration_s, start_n, end_n), linear within each, sampled at 100 Hz."""
    ts, fs, t0 = [], [], 0.0
    for dur, a, b in segments:
        n = round(dur * RATE)
        k = np.arange(n)
        ts.append(t0 + k / RATE)
        fs.append(a + (b - a) * k / n)
        t0 += n / RATE
    return np.concatenate(ts), np.concatenate(fs)


def score(t, f, **kw):
    args = {"target_n": 30.0, "half_width_n": 3.0, "hold_s": 5.0} | kw
    return score_trial(t, f, **args)


def test_a_perfect_hold_scores_100():
    t, f = trace((1.0, 0, 0), (5.5, 30, 30), (1.0, 0, 0))
    m = score(t, f)
    assert m.pressed and m.hold_completed
    assert m.press_start_s == pytest.approx(1.0, abs=0.01)
    assert m.time_in_band_pct == pytest.approx(100.0, abs=0.3)
    assert m.cv == 0 and m.mean_error_n == 0 and m.rms_error_n == 0
    assert m.overshoot_pct == 0
    assert m.score == pytest.approx(100.0, abs=0.3)


def test_never_reached_the_band_gets_partial_credit_only():
    # 25.5 N against 30 ± 3: 1.5 N below the band edge = half-way to zero credit -> A = 0.5;
    # steady (S = 1) and held the full 5 s (C = 1): 100 * 0.5 * (0.6 + 0.4) = 50
    t, f = trace((1.0, 0, 0), (8.0, 25.5, 25.5), (1.0, 0, 0))
    m = score(t, f)
    assert m.pressed and not m.hold_completed
    assert m.time_to_band_s is None
    assert m.time_in_band_pct == 0
    assert m.mean_error_n == pytest.approx(-4.5) and m.rms_error_n == pytest.approx(4.5)
    assert m.accuracy == pytest.approx(0.5, abs=0.003)
    assert m.completion == pytest.approx(1.0)
    assert m.score == pytest.approx(50.0, abs=0.3)


def test_released_early_loses_the_missing_time_twice():
    # in band 2.5 s of 5: A = 0.5, C = 0.5, S = 1 -> 100 * 0.5 * (0.6 + 0.4 * 0.75) = 45
    t, f = trace((1.0, 0, 0), (2.5, 30, 30), (3.0, 0, 0))
    m = score(t, f)
    assert not m.hold_completed
    assert m.release_s == pytest.approx(3.5, abs=0.01)
    assert m.held_s == pytest.approx(2.5, abs=0.01)
    assert m.time_in_band_pct == pytest.approx(50.0, abs=0.3)
    assert m.score == pytest.approx(45.0, abs=0.5)


def test_overshoot_then_settle():
    # ramp 0 -> 36 N at 30 N/s (1.2 s), 1 s at 36 N, then 30 N. The band is entered at 27 N on
    # the way up (t = 0.9 s), so the 5 s window is 0.9 .. 5.9 s:
    #   0.9-1.1 s rising 27 -> 33 N, in band: credit 0.2 s
    #   1.1-1.2 s rising 33 -> 36 N: credit falls 1 -> 0, mean 0.5: 0.05 s
    #   1.2-2.2 s at 36 N (2 half-widths off): 0
    #   2.2-5.9 s at 30 N: 3.7 s
    # A = 3.95 / 5 = 0.79; overshoot (36 - 33) / 30 = 10 %
    t, f = trace((1.2, 0, 36), (1.0, 36, 36), (6.0, 30, 30), (1.0, 0, 0))
    m = score(t, f)
    # time to band counts from the onset (10 % of target: 3 N at 0.1 s) to 27 N at 0.9 s
    assert m.time_to_band_s == pytest.approx(0.8, abs=0.02)
    assert m.overshoot_pct == pytest.approx(10.0, abs=0.01)
    assert m.peak_n == pytest.approx(36.0)
    assert m.accuracy == pytest.approx(0.79, abs=0.005)
    assert m.time_in_band_pct == pytest.approx(100 * 3.9 / 5, abs=0.3)
    assert m.rate_n_per_s == pytest.approx(30.0, rel=0.01)
    assert m.hold_completed
    # steadiness over the pressing part of the window, worked out from the same pieces
    window = (t >= 0.9) & (t < 5.9)
    cv = f[window].std() / f[window].mean()
    assert m.cv == pytest.approx(cv, rel=0.01)
    s = min(1.0, max(0.0, (0.15 - cv) / 0.10))
    assert m.score == pytest.approx(100 * 0.79 * (0.6 + 0.4 * (s + 1) / 2), abs=0.6)


def test_no_press_at_all_scores_0():
    t, f = trace((8.0, 2.0, 2.0))
    m = score(t, f)
    assert not m.pressed and m.score == 0 and m.time_to_band_s is None


def test_rate_of_application_is_scored_when_asked():
    # 10 N/s asked, 20 N/s pressed: 100 % off -> R = 0; A = 1, S = 1, C = 1
    # -> 100 * 1 * (0.6 + 0.4) * (0.5 + 0.5 * 0) = 50
    t, f = trace((0.5, 0, 0), (1.5, 0, 30), (6.0, 30, 30), (0.5, 0, 0))
    m = score(t, f, ramp_n_per_s=10.0)
    assert m.rate_n_per_s == pytest.approx(20.0, rel=0.01)
    assert m.rate_error_pct == pytest.approx(100.0, abs=1)
    assert m.rate_score == pytest.approx(0.0, abs=0.01)
    assert m.score == pytest.approx(50.0, abs=0.5)
    at_rate = score(*trace((0.5, 0, 0), (3.0, 0, 30), (6.0, 30, 30), (0.5, 0, 0)), ramp_n_per_s=10)
    assert at_rate.rate_score == pytest.approx(1.0, abs=0.01)
    assert at_rate.score == pytest.approx(100.0, abs=0.5)


def test_reference_is_aligned_on_the_press_start():
    # the expert pressed 2 s after their recording began; the student 0.5 s after the cue.
    # Same shape -> after alignment the RMS difference is 0 and the accuracy full.
    rt, rf = trace((2.0, 0, 0), (1.0, 0, 30), (5.0, 30, 30), (1.0, 30, 0))
    st, sf = trace((0.5, 0, 0), (1.0, 0, 30), (5.0, 30, 30), (1.0, 30, 0), (1.0, 0, 0))
    m = score(st, sf, reference=Reference(rt, rf))
    assert m.reference_rms_n == pytest.approx(0.0, abs=0.2)
    assert m.accuracy == pytest.approx(1.0, abs=0.02)
    # 3 N too hard over the plateau: the 6.4 s compared (the expert's press start to the end
    # of their trace) hold 0.4 s equal, 5 s 3 N off and a 1 s release closing 3 -> 0 N
    # (mean square 3): RMS = sqrt((5 * 9 + 3) / 6.4) = 2.74 N; credit stays 1 (the band edge)
    st2, sf2 = trace((0.5, 0, 0), (1.0, 0, 30), (5.0, 33, 33), (1.0, 33, 0), (1.0, 0, 0))
    m2 = score(st2, sf2, reference=Reference(rt, rf))
    assert m2.reference_rms_n == pytest.approx(2.74, abs=0.05)
    assert m2.accuracy == pytest.approx(1.0, abs=0.02)


def test_building_blocks():
    assert credit(np.array([30.0, 33.0, 34.5, 36.0, 40.0]), 30.0, 3.0).tolist() == [
        1.0, 1.0, 0.5, 0.0, 0.0
    ]  # fmt: skip
    assert steadiness(0.05) == 1.0 and steadiness(0.10) == pytest.approx(0.5)
    assert steadiness(0.2) == 0.0 and steadiness(None) == 0.0
    assert combine(1.0, 1.0, 1.0, None) == 100.0
    assert combine(0.5, 0.0, 0.0, None) == 30.0
    assert combine(1.0, 1.0, 1.0, 0.5) == 75.0


def test_pass_rule_is_4_of_5_by_default():
    assert protocol_result([80, 75, 90, 71, 10], 5, 70, 0.8)["passed"]
    r = protocol_result([80, 75, 90, 69, 10], 5, 70, 0.8)
    assert not r["passed"] and r["trials_passed"] == 3 and r["needed"] == 4
    # a stopped run: trials never run count as failed
    assert not protocol_result([100, 100], 5, 70, 0.8)["passed"]


def test_a_hidden_trial_holds_from_the_press_start():
    # told to hold 5 s from the press (by the clock), the student ramps for 0.5 s and releases
    # on the cue 5 s after the press: complete when counted from the press, not from the band
    t, f = trace((1.0, 0, 0), (1.0, 0, 30), (4.7, 30, 30), (1.0, 0, 0))
    by_band, by_press = score(t, f), score(t, f, hold_from="press")
    assert by_press.press_start_s == pytest.approx(1.6, abs=0.01)  # 18 N at 30 N/s
    assert by_press.hold_completed and by_press.completion == pytest.approx(1.0)
    assert not by_band.hold_completed  # band entry at 1.9 s, released 6.7 s: 4.8 of 5 s
    assert by_band.completion == pytest.approx(0.96, abs=0.005)
    # the 0.3 s from 18 N to 27 N count in the window: 0.1 s of partial credit (24-27 N)
    assert by_press.accuracy == pytest.approx((4.7 + 0.05) / 5, abs=0.01)
    # the ramp is not unsteadiness: CV counts from the band entry (27 N), S stays 1
    assert by_press.cv < 0.02 and by_press.steadiness == 1.0
    assert by_press.score == pytest.approx(100 * 4.75 / 5, abs=0.5)
    with pytest.raises(ValueError, match="hold_from"):
        score(t, f, hold_from="cue")
