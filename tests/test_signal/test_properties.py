"""Property-based tests: generated presses with known answers; any block split, same events.

The generator draws presses as alternating in-band stretches and excursions with durations kept
clear of every threshold (grace, min_hold, hold), so the expected holds and alerts follow from
docs/holds.md by a few lines of bookkeeping — the reference model below — regardless of filter lag.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st
from support.soak import choose
from test_signal.traces_gen import piecewise

from presshold.signal import HoldParams, LivePipeline, analyze

P = HoldParams(target_n=30.0, tolerance_n=4.5, hold_s=4.0, grace_s=0.5, min_hold_s=1.0)
LEVEL = {"band": 30.0, "over": 40.0, "under": 21.0, "rest": 0.0}
CROSSED = {  # zones a ramp passes through on its way (visits of ~0 s)
    ("rest", "band"): ["under"],
    ("band", "rest"): ["under"],
    ("rest", "over"): ["under", "band"],
    ("over", "rest"): ["band", "under"],
}
MARGIN = 0.35  # s kept between any expected duration and a threshold
PRESS_RAMP, LEVEL_RAMP = 0.3, 0.05

duration = {
    "short_exc": st.floats(0.1, 0.2),
    "long_exc": st.floats(1.0, 2.0),
    "band": st.one_of(st.floats(0.3, 0.5), st.floats(1.5, 3.0), st.floats(4.5, 6.0)),
}


@st.composite
def press(draw):
    n = draw(st.integers(1, 5))
    first_is_band = draw(st.booleans())
    items = []
    for i in range(n):
        if (i % 2 == 0) == first_is_band:
            items.append(("band", draw(duration["band"])))
        else:
            kind = draw(st.sampled_from(["over", "under"]))
            items.append((kind, draw(duration[draw(st.sampled_from(["short_exc", "long_exc"]))])))
    return items


@st.composite
def session(draw):
    presses = draw(st.lists(press(), min_size=1, max_size=3))
    rests = [draw(st.floats(1.0, 2.0)) for _ in range(len(presses) + 1)]
    return presses, rests


def build(presses, rests, rate):
    """Knots of the trace, and the expected answer from the reference model."""
    t, pts = 0.0, [(0.0, 0.0)]
    holds, alerts = [], []
    for press_items, rest in zip(presses, rests, strict=False):
        t += rest
        pts.append((t, 0.0))
        visits = []
        prev = "rest"
        for kind, dur in [*press_items, ("rest", 0.0)]:
            visits += [(z, 0.0) for z in CROSSED.get((prev, kind), [])]
            ramp = PRESS_RAMP if "rest" in (prev, kind) else LEVEL_RAMP
            t += ramp
            pts.append((t, LEVEL[kind]))
            if kind != "rest":
                t += dur
                pts.append((t, LEVEL[kind]))
                visits.append((kind, dur + LEVEL_RAMP))  # about the time spent in its zone
            prev = kind
        reference(visits, holds, alerts)
    t += rests[-1]
    pts.append((t, 0.0))
    return pts, holds, alerts


def reference(visits, holds, alerts):
    been_in_band, hold, c = False, None, 0.0
    for zone, dur in visits:
        if zone == "band":
            been_in_band = True
            hold = [c, c + dur] if hold is None else [hold[0], c + dur]
        else:
            if dur >= P.grace_s and (zone == "over" or been_in_band):
                alerts.append(zone)
            if hold is not None and dur >= P.grace_s:
                holds.append(hold[1] - hold[0])
                hold = None
        c += dur
    if hold is not None:
        holds.append(hold[1] - hold[0])


def clear_of_thresholds(durations):
    return all(abs(d - P.min_hold_s) > MARGIN and abs(d - P.hold_s) > MARGIN for d in durations)


@pytest.mark.soak
@settings(max_examples=choose(60, 3000), deadline=None)
@given(sess=session(), rate=st.sampled_from([40.0, 100.0, 250.0]), data=st.data())
def test_generated_presses_give_the_known_holds_and_alerts(sess, rate, data):
    pts, hold_durations, alert_kinds = build(*sess, rate)
    assume(clear_of_thresholds(hold_durations))
    t, f = piecewise(pts, rate)
    spikes = data.draw(st.lists(st.integers(3, t.size - 3), max_size=3, unique=True))
    spikes = [i for i in spikes if all(abs(i - j) > 3 for j in spikes if j != i)]
    f[spikes] = data.draw(st.sampled_from([5000.0, -5000.0]))  # HX711 garbage codes
    a = analyze(t, f, P, rate)
    event(f"holds={len(a.holds)} completed={sum(h.completed for h in a.holds)}")
    event(f"alerts={len(a.alerts)}")
    expected = [d for d in hold_durations if d >= P.min_hold_s]
    assert [h.completed for h in a.holds] == [d >= P.hold_s for d in expected]
    assert np.allclose([h.duration_s for h in a.holds], expected, atol=0.3)
    assert [al.kind for al in a.alerts] == alert_kinds
    assert all(al.end_s is not None for al in a.alerts)
    assert a.summary.presses == len(sess[0])
    assert a.summary.glitches == len(spikes)


def _same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


@pytest.mark.soak
@settings(max_examples=choose(40, 2000), deadline=None)
@given(
    sess=session(),
    nominal=st.sampled_from([100.0, None, 60.0]),  # 60: wrong, replaced by the measured rate
    sizes=st.lists(st.integers(1, 400), min_size=1, max_size=80),
    gap_at=st.one_of(st.none(), st.floats(0.2, 0.8)),
)
def test_any_block_split_reports_the_same_events(sess, nominal, sizes, gap_at):
    pts, _, _ = build(*sess, 100.0)
    t, f = piecewise(pts, 100.0)
    f[t.size // 3] = 5000.0
    if gap_at is not None:
        t = np.where(t > gap_at * t[-1], t + 1.0, t)
    whole = LivePipeline(P, nominal)
    w = whole.process(t, f)
    w_events = w.events + whole.finish()
    live = LivePipeline(P, nominal)
    cuts = np.cumsum(sizes)
    cuts = cuts[cuts < t.size]
    parts = [live.process(a, b) for a, b in zip(np.split(t, cuts), np.split(f, cuts), strict=True)]
    events = [e for p in parts for e in p.events] + live.finish()
    assert [(e.kind, e.t_s) for e in events] == [(e.kind, e.t_s) for e in w_events]
    assert all(_same(a.data, b.data) for a, b in zip(events, w_events, strict=True))
    assert np.array_equal(np.concatenate([p.state_code for p in parts]), w.state_code)
    np.testing.assert_allclose(np.concatenate([p.detect for p in parts]), w.detect, atol=1e-9)
    summaries = [p.summary().to_dict() for p in (live, whole)]
    for s in summaries:
        del s["text"]  # rounded figures: 11.45 vs 11.450000000000001 may print differently
    assert _same(*summaries)
