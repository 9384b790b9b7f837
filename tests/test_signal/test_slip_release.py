"""A release in progress is not a slip (issue 11, item 3; rule in docs/holds.md, "Alerts").

A decisive release passes through the zone between half the target and the band; it must never
raise the "Pressure slipping" alert. A real slip — force falling below the band and levelling
off there — still alerts within about a second. Shown on synthetic traces with tremor and noise
and on recorded traces of the simulated hand, whose phase log says what the hand was doing."""

from __future__ import annotations

import numpy as np
import pytest

from presshold.firmware_bridge.simulator import (
    SIM_OFFSET_RAW,
    SIM_SCALE_N_PER_RAW,
    HandModel,
    HandTarget,
)
from presshold.signal import HoldParams, analyze

from .traces_gen import piecewise

RATE = 80.0
P = HoldParams(30.0, 3.0, 5.0)  # band 27–33 N, release below 15 N, grace 0.5 s


def realistic(t: np.ndarray, f: np.ndarray, seed: int = 0) -> np.ndarray:
    """Add 10 Hz tremor (2 % of the force) and sensor noise."""
    rng = np.random.default_rng(seed)
    return f * (1 + 0.02 * np.sin(2 * np.pi * 10 * t)) + rng.normal(0, 0.05, t.size)


def unders(a) -> list:  # type: ignore[no-untyped-def]
    return [al for al in a.alerts if al.kind == "under"]


@pytest.mark.parametrize("rate_n_per_s", [8.0, 12.0, 20.0, 60.0, 300.0])
def test_a_decisive_release_never_alerts(rate_n_per_s: float) -> None:
    fall = 30.0 / rate_n_per_s
    t, f = piecewise([(0, 0), (3, 30), (10, 30), (10 + fall, 0), (13 + fall, 0)], RATE)
    a = analyze(t, realistic(t, f), P, RATE)
    assert unders(a) == []
    assert [e.kind for e in a.events].count("release") == 1
    assert a.summary.holds_completed == 1


@pytest.mark.parametrize(("drop_to", "drop_s"), [(24.0, 0.1), (22.0, 0.3), (25.0, 1.0)])
def test_a_slip_that_levels_off_alerts_within_a_second(drop_to: float, drop_s: float) -> None:
    t, f = piecewise(
        [(0, 0), (3, 30), (8, 30), (8 + drop_s, drop_to), (12, drop_to), (13, 0), (14, 0)], RATE
    )
    a = analyze(t, realistic(t, f, 1), P, RATE)
    (slip,) = unders(a)
    alerted = next(e.t_s for e in a.events if e.kind == "alert_start")
    left_band = 8 + drop_s * (30 - 27) / (30 - drop_to)  # the force crossed 27 N here
    assert alerted - left_band <= 1.0 + drop_s
    assert slip.end_s is not None and slip.end_s >= 12.0  # ended by the release, not earlier


def test_a_slow_slide_is_a_slip() -> None:
    """Falling slower than a quarter of the target per second is not a release."""
    t, f = piecewise([(0, 0), (3, 30), (8, 30), (11, 21), (12, 21), (13, 0), (14, 0)], RATE)
    a = analyze(t, realistic(t, f, 2), P, RATE)
    assert len(unders(a)) == 1


def test_a_release_that_pauses_below_the_band_is_a_slip() -> None:
    """What follows decides: stopping between half the target and the band for longer than the
    grace period is pressure slipping, even if the hand was on its way out."""
    t, f = piecewise([(0, 0), (3, 30), (8, 30), (8.3, 22), (10, 22), (10.3, 0), (11, 0)], RATE)
    assert len(unders(analyze(t, realistic(t, f, 3), P, RATE))) == 1


@pytest.mark.parametrize(
    ("target", "seed"),
    [(HandTarget(25.0, 3.0, 10.0), 0), (HandTarget(30.0, 3.0, 8.0), 5), (HandTarget(10, 1, 8), 9)],
)
def test_recorded_simulated_sessions(target: HandTarget, seed: int) -> None:
    """Five minutes of the simulated hand at 80 Hz, its phase logged per sample: no under alert
    starts while the hand is releasing, and every slip the hand made raised one."""
    model = HandModel(RATE, seed=seed, target=target)
    n = int(300 * RATE)
    raw, phase = np.empty(n), []
    for i in range(n):
        raw[i] = model.samples(1)[0]
        phase.append(model.phase)
    t = np.arange(1, n + 1) / RATE
    f = (raw - SIM_OFFSET_RAW) * SIM_SCALE_N_PER_RAW
    a = analyze(t, f, HoldParams(target.target_n, target.tolerance_n, target.hold_s), RATE)
    phases = np.array(phase)
    starts = [e.t_s for e in a.events if e.kind == "alert_start" and e.data["alert"] == "under"]
    for ts in starts:
        i = round(ts * RATE) - 1
        assert phases[i] in ("slip", "recover"), f"under alert at {ts:.2f} s during {phases[i]}"
    releases = np.flatnonzero((phases[1:] == "release") & (phases[:-1] != "release"))
    assert releases.size >= 5  # many releases were checked
    slips = np.flatnonzero((phases[1:] == "slip") & (phases[:-1] != "slip")) + 1
    assert slips.size >= 1
    for i in slips:  # each slip alerted within about a second of its start
        assert any(0 < ts - t[i] <= 1.5 for ts in starts), f"slip at {t[i]:.2f} s not alerted"
