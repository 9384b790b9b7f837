import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from presshold.errors import ConfigError
from presshold.signal import HoldParams, LivePipeline, analyze, parse_force, parse_tolerance

P = HoldParams(target_n=30.0, tolerance_n=3.0, hold_s=5.0)


def trace(rate=80.0):
    """ramp 2 s -> hold 8 s at 30 N -> over excursion 2 s at 40 N -> hold 2 s -> release."""
    t = np.arange(0, 16, 1 / rate)
    f = np.interp(t, [0, 2, 10, 10.2, 12, 12.2, 14, 15, 16], [0, 30, 30, 40, 40, 30, 30, 0, 0])
    return t, f


def test_known_trace():
    t, f = trace()
    f[300] = 5000.0  # one-sample glitch
    a = analyze(t, f, P, 80.0)
    assert len(a.holds) == 1
    h = a.holds[0]
    assert h.completed and h.alerts == 1
    assert 11 < h.duration_s < 13
    assert abs(h.mean_n - 31.7) < 3
    assert [k for _, _, k in a.alerts] == ["over"]
    assert a.summary.presses == 1 and a.summary.holds_completed == 1


def test_units():
    assert parse_force("3kgf") == pytest.approx(29.41995)
    assert parse_tolerance("10%", 30.0) == pytest.approx(3.0)
    with pytest.raises(ConfigError):
        parse_force("3 stone")
    with pytest.raises(ConfigError):
        HoldParams(target_n=-1, tolerance_n=1, hold_s=1)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 64), min_size=1, max_size=40))
def test_block_split_equals_whole(sizes):
    t, f = trace()
    whole = LivePipeline(P, 80.0)
    w = whole.process(t, f)
    live = LivePipeline(P, 80.0)
    cuts = np.cumsum(sizes)
    cuts = cuts[cuts < t.size]
    parts = [live.process(a, b) for a, b in zip(np.split(t, cuts), np.split(f, cuts), strict=True)]
    assert np.allclose(np.concatenate([p.display for p in parts]), w.display)
    assert [(e.kind, e.t_s) for p in parts for e in p.events] == [(e.kind, e.t_s) for e in w.events]
    assert live.state == whole.state


def test_gap_event_and_short_excursion_bridged():
    t, f = trace()
    f[(t > 5) & (t < 5.2)] = 40.0  # shorter than grace (after filtering): no alert
    t = np.where(t > 8, t + 1.0, t)  # a 1 s gap inside the hold
    pipe = LivePipeline(P, 80.0)
    res = pipe.process(t, f)
    kinds = [e.kind for e in res.events]
    assert kinds.count("gap") == 1
    assert kinds.count("alert_start") == 1  # only the long over excursion
    assert set(np.unique(res.state_code)) <= {0, 1, 2, 3}
