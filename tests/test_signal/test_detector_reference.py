"""The run-based (vectorised) detector against a plain per-sample state machine written straight
from docs/holds.md, on random detection signals full of transitions, edge values and odd timing."""

from __future__ import annotations

import bisect

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from presshold.signal import HoldParams
from presshold.signal.detector import HoldDetector, zone_edges
from presshold.signal.params import RELEASING_WINDOW_S

REL, UNDER, IN, OVER = 0, 1, 2, 3


def reference(t, y, p):
    """Per sample, no cleverness: returns [(kind, t_s, key data)] and the live state word after
    each sample (the alert; else in band while a hold runs; else the zone; idle unless pressing)."""
    lo, hi = p.band
    out = []
    pressing = False
    above_half = None
    press_start = None
    been = False
    hold = None  # dict(start, last_in, confirmed, completed)
    exc = None
    zone_prev, zone_since = None, None
    alert = None  # (kind, since)
    seen_t: list[float] = []  # every sample so far, for the release-in-progress look-back
    seen_y: list[float] = []

    def releasing(ts, v):
        """Fallen more than releasing_drop_n since the last sample ≥ the window ago."""
        j = bisect.bisect_right(seen_t, ts - RELEASING_WINDOW_S) - 1
        return j >= 0 and seen_y[j] - v > p.releasing_drop_n

    def end_alert(ts):
        nonlocal alert
        if alert:
            out.append(("alert_end", ts, alert[0]))
            alert = None

    def end_hold(ts):
        nonlocal hold
        if hold and hold["confirmed"]:
            out.append(("hold_end", ts, (hold["start"], hold["last_in"], hold["completed"])))
        hold = None

    states: list[str] = []

    def state():
        if not pressing:
            return "idle"
        if alert:
            return alert[0]
        return "in_band" if hold is not None else ("", "under", "in_band", "over")[zone_prev]

    for ts, v in zip(t.tolist(), y.tolist(), strict=True):
        if seen_t:
            states.append(state())
        seen_t.append(ts)
        seen_y.append(v)
        z = REL if v < p.release_n else UNDER if v < lo else IN if v <= hi else OVER
        if z != zone_prev:
            zone_prev, zone_since = z, ts
        if z == REL:
            if pressing:
                end_alert(ts)
                end_hold(ts)
                exc = None
                pressing = False
                out.append(("release", ts, None))
            above_half = None
            continue
        if above_half is None:
            above_half = ts
        if not pressing:
            if v < p.press_on_n:
                continue
            pressing, press_start, been, exc = True, above_half, False, None
            out.append(("press_start", ts, press_start))
        if z == IN:
            end_alert(ts)
            been = True
            if hold is None:
                hold = {"start": ts, "last_in": ts, "confirmed": False, "completed": False}
            exc = None
            hold["last_in"] = ts
            if not hold["confirmed"] and ts >= hold["start"] + p.min_hold_s:
                hold["confirmed"] = True
                out.append(("hold_start", ts, hold["start"]))
            done_at = hold["start"] + max(p.hold_s, p.min_hold_s)
            if hold["confirmed"] and not hold["completed"] and ts >= done_at:
                hold["completed"] = True
                out.append(("hold_complete", ts, hold["start"]))
        else:
            kind = "over" if z == OVER else "under"
            if alert and alert[0] != kind:
                end_alert(ts)
            if exc is None:
                exc = ts
            slip = been and not releasing(ts, v)  # a release in progress is not a slip
            if alert is None and (z == OVER or slip) and ts >= zone_since + p.grace_s:
                alert = (kind, zone_since)
                out.append(("alert_start", ts, alert))
            if hold is not None and ts >= exc + p.grace_s:
                end_hold(ts)
    states.append(state())
    return out, states


def observed(events):
    out = []
    for e in events:
        d = e.data
        key = {
            "press_start": lambda d: d["start_s"],
            "release": lambda d: None,
            "hold_start": lambda d: d["start_s"],
            "hold_complete": lambda d: d["start_s"],
            "hold_end": lambda d: (d["start_s"], d["end_s"], d["completed"]),
            "alert_start": lambda d: (d["alert"], d["since_s"]),
            "alert_end": lambda d: d["alert"],
        }[e.kind](d)
        out.append((e.kind, e.t_s, key))
    return out


# 25.2/25.12 sit just either side of 27 − releasing_drop_n (1.875 N at 30 N)
LEVELS = [0.0, 14.9, 15.0, 16.0, 18.0, 20.0, 25.12, 25.2, 26.99, 27.0, 30.0, 33.0, 33.01, 40.0]


@st.composite
def signal(draw):
    runs = draw(st.lists(st.tuples(st.sampled_from(LEVELS), st.integers(1, 40)), max_size=40))
    y = np.array([lvl for lvl, n in runs for _ in range(n)] or [0.0])
    steps = [0.004, 0.01, 0.0125, 0.02, 0.05, 0.125, 0.25]  # some as long as the look-back
    dt = draw(st.lists(st.sampled_from(steps), min_size=1, max_size=7))
    t = np.cumsum(np.resize(np.array(dt), y.size))
    return t, y


@settings(max_examples=300, deadline=None)
@given(
    sig=signal(),
    grace=st.sampled_from([0.0, 0.05, 0.1, 0.3]),
    min_hold=st.sampled_from([0.0, 0.05, 0.2]),
    hold=st.sampled_from([0.01, 0.1, 0.4]),
    sizes=st.lists(st.integers(1, 50), min_size=1, max_size=30),
)
def test_vectorised_detector_equals_the_per_sample_reference(sig, grace, min_hold, hold, sizes):
    t, y = sig
    p = HoldParams(30.0, 3.0, hold, grace_s=grace, min_hold_s=min_hold)
    det = HoldDetector(p)
    edges = zone_edges(p)
    events = []
    cuts = np.cumsum(sizes)
    want_events, want_states = reference(t, y, p)
    done = 0
    for tb, yb in zip(
        np.split(t, cuts[cuts < t.size]), np.split(y, cuts[cuts < t.size]), strict=True
    ):
        if tb.size:
            det.process(tb, yb, edges.searchsorted(yb, "right"), events)
            done += tb.size
            assert det.band_state() == want_states[done - 1], f"state after sample {done - 1}"
    assert observed(events) == want_events
