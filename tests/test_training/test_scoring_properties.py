"""Properties of the score on arbitrary traces: bounded, never rewarded for pressing further
from the target, and blind to the time origin."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from presshold.training.scoring import score_trial

forces = st.lists(st.floats(0, 80, allow_nan=False), min_size=2, max_size=400)


@settings(max_examples=150, deadline=None)
@given(forces, st.floats(-1e4, 1e4, allow_nan=False))
def test_score_is_bounded_and_shift_invariant(f: list[float], origin: float):
    t = np.arange(len(f)) / 80.0
    args = {"target_n": 30.0, "half_width_n": 3.0, "hold_s": 2.0}
    m = score_trial(t, np.array(f), **args)
    assert 0.0 <= m.score <= 100.0
    assert 0.0 <= m.accuracy <= 1.0 and 0.0 <= m.completion <= 1.0
    assert 0.0 <= m.time_in_band_pct <= 100.0 + 1e-6
    shifted = score_trial(t + origin, np.array(f), **args)
    assert abs(shifted.score - m.score) <= 0.1 + 1e-9


@settings(max_examples=100, deadline=None)
@given(st.floats(18.5, 60, allow_nan=False), st.floats(0, 20, allow_nan=False))
def test_further_from_the_target_never_scores_higher(level: float, extra: float):
    t = np.arange(0, 6, 0.0125)

    def plateau(x: float) -> np.ndarray:
        return np.where((t >= 0.5) & (t < 5.0), x, 0.0)

    args = {"target_n": 30.0, "half_width_n": 3.0, "hold_s": 3.0}
    near = score_trial(t, plateau(level), **args).score
    far_level = level + extra if level >= 30 else max(18.1, level - extra)
    far = score_trial(t, plateau(far_level), **args).score
    assert far <= near + 1e-9
