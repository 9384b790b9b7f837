"""Extreme but finite input never poisons the signal chain (issue 12, item 7).

``force_n: 1.7e308`` once overflowed the filter state and left display and detection NaN for the
rest of the session: no band, no holds. Every stateful filter must come back.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from presshold.signal import HoldParams, LivePipeline
from presshold.signal.filters import FilterBank, GlitchGuard, design_filters

P = HoldParams(target_n=30.0, tolerance_n=4.5, hold_s=2.0, grace_s=0.5, min_hold_s=1.0)
RATE = 80.0


def _run(pipe: LivePipeline, t0: float, values: np.ndarray, block: int = 7):
    t = t0 + np.arange(values.size) / RATE
    outs = [pipe.process(t[i : i + block], values[i : i + block]) for i in range(0, t.size, block)]
    disp = np.concatenate([o.display for o in outs])
    det = np.concatenate([o.detect for o in outs])
    return t, disp, det, [e for o in outs for e in o.events]


def test_a_burst_of_absurd_values_leaves_holds_detectable() -> None:
    pipe = LivePipeline(P, RATE)
    burst = np.r_[np.zeros(80), np.full(40, 1.7e308), -np.full(5, 1.7e308), [np.inf, np.nan]]
    _run(pipe, 0.0, burst)
    hold = np.r_[np.linspace(0, 30, 40), np.full(int(4 * RATE), 30.0), np.zeros(80)]
    _, disp, det, events = _run(pipe, burst.size / RATE, hold)
    assert np.isfinite(disp).all() and np.isfinite(det).all()
    assert abs(det[100] - 30.0) < 1.0  # back on the true force within ~1 s
    assert any(e.kind == "hold_complete" for e in events)
    assert pipe.state.force_display_n == 0.0 or abs(pipe.state.force_display_n) < 1.0


def test_the_filter_bank_restarts_from_a_poisoned_state() -> None:
    for n in (5, 500):  # the matrix path and the sosfilt path
        bank = FilterBank(design_filters(RATE))
        bank.reset(10.0)
        assert bank.state is not None
        bank.state[:] = np.nan
        bank.process(np.full(n, 10.0))
        disp, det = bank.process(np.full(n, 10.0))
        assert np.allclose(disp, 10.0) and np.allclose(det, 10.0), n
        bank.state[:] = 1e300  # finite but absurd: would take seconds to decay
        bank.process(np.full(n, 10.0))
        disp, _ = bank.process(np.full(n, 10.0))
        assert np.allclose(disp, 10.0), n


def test_the_glitch_guard_never_keeps_an_absurd_value() -> None:
    guard = GlitchGuard()
    out, replaced = guard.clean(np.r_[5.0, 5.0, np.full(10, 1e300)], 20.0)
    assert (out == 5.0).all() and replaced is not None and replaced.size == 10
    out, replaced = guard.clean(np.full(4, 5.0), 20.0)  # a constant absurd run did not stick
    assert (out == 5.0).all() and replaced is None


finite_or_not = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(finite_or_not, min_size=1, max_size=400),
    st.lists(st.integers(1, 150), min_size=1, max_size=20),
)
def test_any_input_gives_finite_outputs_and_recovers(values: list[float], sizes: list[int]) -> None:
    pipe = LivePipeline(P, RATE)
    x = np.asarray(values)
    t = np.arange(x.size) / RATE
    i = k = 0
    while i < x.size:
        n = sizes[k % len(sizes)]
        res = pipe.process(t[i : i + n], x[i : i + n])
        assert np.isfinite(res.display).all() and np.isfinite(res.detect).all()
        i, k = i + n, k + 1
    after = np.full(int(2 * RATE), 12.0)
    _, disp, det, _ = _run(pipe, float(x.size) / RATE, after)
    assert abs(disp[-1] - 12.0) < 0.05 and abs(det[-1] - 12.0) < 0.05
