"""The simulated hand shows the whole treatment cycle within a minute at any sensible band
(issue 11, item 12): its trace, run through the very analysis the server uses, reaches the band,
completes a hold, releases, and overshoots or slips now and then."""

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

RATE = 80.0
BANDS = [  # (target N, tolerance N, hold s): clinic defaults, tight and loose, light and firm
    (25.0, 3.0, 30.0),
    (30.0, 3.0, 30.0),
    (25.0, 1.0, 30.0),
    (10.0, 1.0, 10.0),
    (5.0, 0.5, 10.0),
    (50.0, 2.5, 20.0),
    (80.0, 8.0, 30.0),
]


def run(target: HandTarget, seconds: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    model = HandModel(RATE, seed=seed, target=target)
    n = int(seconds * RATE)
    force = (model.samples(n) - SIM_OFFSET_RAW) * SIM_SCALE_N_PER_RAW
    return np.arange(1, n + 1) / RATE, force


@pytest.mark.parametrize(("target_n", "tol_n", "hold_s"), BANDS)
@pytest.mark.parametrize("seed", [0, 7, 12345])
def test_the_first_minute_shows_the_whole_cycle(
    target_n: float, tol_n: float, hold_s: float, seed: int
) -> None:
    t, f = run(HandTarget(target_n, tol_n, hold_s), 60.0, seed)
    a = analyze(t, f, HoldParams(target_n, tol_n, hold_s), RATE)
    kinds = [e.kind for e in a.events]
    assert "press_start" in kinds and "hold_start" in kinds
    done = next(e.t_s for e in a.events if e.kind == "hold_complete")
    release = next(e.t_s for e in a.events if e.kind == "release")
    assert done < release < 60.0
    assert any(al.kind == "over" for al in a.alerts)  # the first press overshoots once


@pytest.mark.parametrize(("target_n", "tol_n", "hold_s"), BANDS[:4])
def test_over_a_few_minutes_it_also_slips_and_mostly_completes(
    target_n: float, tol_n: float, hold_s: float
) -> None:
    t, f = run(HandTarget(target_n, tol_n, hold_s), 240.0, seed=3)
    a = analyze(t, f, HoldParams(target_n, tol_n, hold_s), RATE)
    assert {al.kind for al in a.alerts} == {"over", "under"}
    assert a.summary.holds_completed >= 0.6 * a.summary.presses >= 2


def test_new_settings_replan_the_press_in_progress() -> None:
    """The server applies its settings after the source started: the demo still opens with the
    full cycle at the new target, not the model's default."""
    model = HandModel(RATE, seed=1)
    model.target = HandTarget(12.0, 1.5, 8.0)
    n = int(30 * RATE)
    f = (model.samples(n) - SIM_OFFSET_RAW) * SIM_SCALE_N_PER_RAW
    a = analyze(np.arange(1, n + 1) / RATE, f, HoldParams(12.0, 1.5, 8.0), RATE)
    assert a.summary.holds_completed >= 1
