"""Pressure-pain threshold trials and their statistics."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from presshold.clinic import ppt
from presshold.errors import Conflict


def _ramp(rate: float, rest_s: float = 0.5, ramp_s: float = 2.0, hz: float = 80.0):
    t = np.arange(0, rest_s + ramp_s, 1 / hz)
    f = np.where(t < rest_s, 0.02, (t - rest_s) * rate)
    return t, f


@given(st.floats(2.0, 40.0), st.floats(0.8, 1.0))
def test_value_and_rate_of_a_steady_ramp(rate: float, at: float) -> None:
    t, f = _ramp(rate)
    take = float(t[int(at * (len(t) - 1))])
    trial = ppt.measure_trial(t, f, take)
    i = int(np.searchsorted(t, take, side="right")) - 1
    assert trial.value_n == pytest.approx(f[i])
    assert trial.rate_n_per_s == pytest.approx(rate, rel=0.02)
    assert trial.onset_t_s >= 0.5 - 1e-9


def test_noise_and_a_hold_before_the_ramp_do_not_bias_the_rate() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(0, 6, 1 / 80)
    f = np.interp(t, [0, 1, 2, 3, 5, 6], [0, 5, 5, 0, 20, 20]) + rng.normal(0, 0.05, t.size)
    trial = ppt.measure_trial(t, f, 5.0)  # the earlier bump is not part of this ramp
    assert trial.value_n == pytest.approx(20, abs=0.3)
    assert trial.rate_n_per_s == pytest.approx(10, rel=0.05)
    assert 3.0 < trial.onset_t_s < 3.3


def test_sensor_spikes_are_neither_a_threshold_nor_an_onset() -> None:
    t, f = _ramp(10)
    f = f.copy()
    take = float(t[-1])
    f[-1] = 3862.0  # a glitch exactly at the signal
    f[-40] = -3940.0  # and one in the middle of the ramp
    trial = ppt.measure_trial(t, f, take)
    assert trial.value_n == pytest.approx(f[-2], abs=0.2)
    assert trial.rate_n_per_s == pytest.approx(10, rel=0.02)
    assert trial.onset_t_s == pytest.approx(0.5 + 0.1 * trial.value_n / 10, abs=0.03)  # 10 %


def test_no_threshold_without_fresh_readings_or_pressure() -> None:
    t, f = _ramp(10)
    with pytest.raises(Conflict, match="no readings"):
        ppt.measure_trial(t, f, float(t[-1]) + 2)
    with pytest.raises(Conflict, match="no readings"):
        ppt.measure_trial(t, f, -1.0)
    with pytest.raises(Conflict, match="no pressure"):
        ppt.measure_trial(t, np.zeros_like(t), 1.0)


def test_pace() -> None:
    assert ppt.pace(10.0, 10.0) == "on pace"
    assert ppt.pace(12.5, 10.0) == "too fast"
    assert ppt.pace(7.5, 10.0) == "too slow"
    assert ppt.pace(None, 10.0) == "unknown"


def test_stats_flag_disagreeing_repeats_and_compare_sides() -> None:
    trials = [
        {"site": "upper trapezius", "side": "L", "value_n": v} for v in (30.0, 32.0, 31.0)
    ] + [{"site": "upper trapezius", "side": "R", "value_n": v} for v in (20.0, 30.0, 25.0)]
    trials.append({"site": "SCM", "side": None, "value_n": 12.0})
    left, right, scm = ppt.summarise(trials)
    assert (left.n, left.mean_n, left.sd_n) == (3, 31.0, pytest.approx(1.0))
    assert left.cv_pct == pytest.approx(100 / 31) and not left.cv_flag
    assert right.cv_pct == pytest.approx(20.0) and right.cv_flag  # over 15 %: repeats disagree
    assert scm.sd_n is None and scm.cv_pct is None and not scm.cv_flag
    (pair,) = ppt.left_right([left, right, scm])
    assert (pair.site, pair.difference_n) == ("upper trapezius", 6.0)
    assert pair.asymmetry_pct == pytest.approx(100 * 6 / 28)
    assert ppt.target_from_threshold(31.0, 70) == pytest.approx(21.7)
    with pytest.raises(ValueError):
        ppt.target_from_threshold(31.0, 0)
