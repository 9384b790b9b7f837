"""Hold and alert semantics of docs/holds.md on hand-made traces with known answers."""

import numpy as np
import pytest
from test_signal.traces_gen import levels, piecewise

from presshold.signal import HoldParams, LivePipeline, analyze
from presshold.signal.detector import zone_codes, zone_edges

P = HoldParams(target_n=30.0, tolerance_n=3.0, hold_s=5.0, grace_s=0.5, min_hold_s=1.0)
RATE = 100.0


def run(segments, params=P, rate=RATE, ramp_s=0.3):
    t, f = piecewise(levels(segments, ramp_s), rate)
    return t, f, analyze(t, f, params, rate)


def kinds(a, *only):
    return [e.kind for e in a.events if not only or e.kind in only]


def test_excursion_shorter_than_grace_is_bridged():
    _, _, a = run([(0, 1), (30, 3), (40, 0.1), (30, 4), (0, 1)], ramp_s=0.05)
    assert len(a.holds) == 1 and not a.alerts
    h = a.holds[0]
    assert h.completed and h.end_reason == "release"
    assert h.duration_s == pytest.approx(7.2, abs=0.15)


def test_excursion_of_grace_ends_the_hold_and_its_timer():
    t, f = piecewise(levels([(0, 1), (30, 3), (40, 1.0), (30, 3), (0, 1)], 0.05), RATE)
    pipe = LivePipeline(P, RATE)
    timer, events = [], []
    for a in range(0, t.size, 10):
        res = pipe.process(t[a : a + 10], f[a : a + 10])
        events += res.events
        timer.append((pipe.state.t_s, pipe.state.hold_s, pipe.state.alert))
    events += pipe.finish()
    holds = [e for e in events if e.kind == "hold_end"]
    assert [h.data["end_reason"] for h in holds] == ["excursion", "release"]
    first = holds[0].data
    assert not first["completed"] and first["alerts"] == 1
    assert first["end_s"] == pytest.approx(4.15, abs=0.05)  # left the band, not when noticed
    alert = next(e for e in events if e.kind == "alert_start")
    assert alert.data == {"alert": "over", "since_s": pytest.approx(4.15, abs=0.05)}
    assert alert.t_s == pytest.approx(alert.data["since_s"] + P.grace_s, abs=0.011)
    # the timer ran during the first hold, dropped to 0 when it ended, restarted on re-entry
    during = [h for ts, h, _ in timer if 4.0 < ts < 4.6]
    after = [h for ts, h, al in timer if al == "over"]
    assert max(during) > 2.5 and after and max(after) == 0.0
    assert len(pipe.holds) == 2 and not pipe.holds[1].completed


def test_under_alert_only_after_having_been_in_band():
    _, _, a = run([(0, 1), (21, 2), (30, 2), (21, 1.5), (0, 1)], ramp_s=0.05)
    assert [al.kind for al in a.alerts] == ["under"]
    assert a.alerts[0].start_s == pytest.approx(5.15, abs=0.15)
    assert a.alerts[0].end_s == pytest.approx(a.events[-1].t_s)  # ended by the release
    assert kinds(a, "alert_end", "release") == ["alert_end", "release"]


def test_falling_below_half_the_target_is_a_release_not_an_alert():
    _, _, a = run([(0, 1), (30, 3), (10, 2), (30, 3), (0, 1)])
    assert not a.alerts
    assert kinds(a, "press_start", "release") == ["press_start", "release"] * 2
    assert a.summary.presses == 2 and len(a.holds) == 2


def test_a_stretch_shorter_than_min_hold_is_not_a_hold():
    _, _, a = run([(0, 1), (30, 0.6), (0, 1)])
    assert "hold_start" not in kinds(a) and not a.holds
    assert a.summary.presses == 1 and a.summary.time_in_band_s > 0.5


def test_completed_when_the_duration_reaches_hold():
    _, _, a = run([(0, 1), (30, 6), (0, 1)])
    (h,) = a.holds
    done = next(e for e in a.events if e.kind == "hold_complete")
    assert done.t_s == pytest.approx(h.start_s + P.hold_s, abs=0.011)
    assert h.completed and h.duration_s >= P.hold_s
    _, _, short = run([(0, 1), (30, 4.5), (0, 1)])
    assert not short.holds[0].completed and "hold_complete" not in kinds(short)


def test_over_alert_before_reaching_the_band_then_hold():
    _, _, a = run([(0, 1), (40, 1.5), (30, 3), (0, 1)])
    assert [al.kind for al in a.alerts] == ["over"]
    (h,) = a.holds
    assert h.alerts == 1 and h.start_s > a.alerts[0].end_s - 0.05


@pytest.mark.parametrize("spike", [5000.0, -5000.0, np.nan])
def test_single_sample_glitch_neither_alerts_nor_breaks_the_hold(spike):
    t, f = piecewise(levels([(0, 1), (30, 6), (0, 1)]), RATE)
    f[int(4 * RATE)] = spike
    a = analyze(t, f, P, RATE)
    assert not a.alerts and len(a.holds) == 1 and a.holds[0].completed
    assert kinds(a, "glitch") == ["glitch"] and a.summary.glitches == 1
    assert a.holds[0].peak_n < 31


def test_gap_resets_and_is_reported():
    t, f = piecewise(levels([(0, 1), (30, 6), (0, 1)]), RATE)
    t = np.where(t > 3.0, t + 2.0, t)  # two seconds without samples, mid-hold
    pipe = LivePipeline(P, RATE)
    events = pipe.process(t, f).events + pipe.finish()
    ks = [e.kind for e in events]
    assert ks.count("gap") == 1 and ks.count("press_start") == 2
    gap = events[ks.index("gap")]
    assert gap.data["gap_s"] == pytest.approx(2.01, abs=0.011)
    before = events[: ks.index("gap")]
    assert [e.kind for e in before][-2:] == ["hold_end", "release"]
    assert before[-1].data["reason"] == "gap"
    assert pipe.summary().gaps == 1
    assert pipe.summary().duration_s == pytest.approx(t[-1] - t[0] - 2.0, abs=0.02)


def test_low_rate_sensor():
    _, _, a = run([(0, 1), (30, 7), (0, 1)], rate=10.0)
    assert len(a.holds) == 1 and a.holds[0].completed and not a.alerts
    assert a.sample_rate_hz == pytest.approx(10.0)


def test_rate_estimated_when_not_given():
    t, f = piecewise(levels([(0, 1), (30, 7), (0, 1)]), 80.0)
    t = t + np.random.default_rng(3).uniform(-0.002, 0.002, t.size)  # jittery timestamps
    a = analyze(t, f, P)
    assert len(a.holds) == 1 and a.holds[0].completed
    assert a.sample_rate_hz == pytest.approx(80.0, rel=0.01)


def test_hold_metrics():
    rate = 200.0
    t = np.arange(0, 12, 1 / rate)
    f = np.interp(t, [0, 1, 3, 10, 10.5, 12], [0, 0, 30, 30, 0, 0])
    f = f + np.where((t > 4) & (t < 9), 1.5 * np.sin(2 * np.pi * 1.0 * t), 0.0)
    a = analyze(t, f, P, rate)
    (h,) = a.holds
    assert h.mean_n == pytest.approx(30.0, abs=0.1)
    assert h.sd_n == pytest.approx(1.5 / np.sqrt(2) * np.sqrt(5 / h.duration_s), rel=0.1)
    assert h.cv == pytest.approx(h.sd_n / h.mean_n)
    assert h.rms_error_n == pytest.approx(np.hypot(h.sd_n, h.mean_n - 30), rel=1e-6)
    assert 31.3 < h.peak_n < 31.6
    assert h.time_to_band_s == pytest.approx(0.8, abs=0.02)  # 15 → 27 N at 15 N/s
    assert h.rise_rate_n_per_s == pytest.approx(15.0, rel=0.05)
    s = a.summary
    assert s.presses == 1 and s.holds == 1 and s.holds_completed == 1
    assert s.time_in_band_s == pytest.approx(h.duration_s, abs=0.05)
    d = a.to_dict()
    assert d["holds"][0]["cv"] == h.cv and d["time_in_band_s"] == s.time_in_band_s


def test_new_settings_end_the_open_hold():
    t, f = piecewise(levels([(0, 1), (30, 6), (0, 1)]), RATE)
    pipe = LivePipeline(P, RATE)
    pipe.process(t[:400], f[:400])
    assert pipe.state.hold_s > 1.5 and pipe.state.in_band
    pipe.set_params(HoldParams(40.0, 4.0, 5.0))
    events = pipe.process(t[400:], f[400:]).events
    assert events[0].kind == "hold_end" and events[0].data["end_reason"] == "settings"
    assert events[0].t_s == pytest.approx(t[399])
    assert not any(e.kind == "alert_start" for e in events)  # not been in the new band yet


def test_live_state_follows_the_press():
    t, f = piecewise(levels([(0, 1), (30, 3), (40, 1), (0, 1)]), RATE)
    pipe = LivePipeline(P, RATE)
    seen = set()
    for a in range(0, t.size, 16):
        pipe.process(t[a : a + 16], f[a : a + 16])
        st = pipe.state
        seen.add((st.pressing, st.in_band, st.alert))
        assert st.sample_rate_hz == RATE
    assert {(False, False, None), (True, True, None), (True, False, "over")} <= seen
    assert not pipe.state.pressing and pipe.state.hold_s == 0.0


def test_a_glitch_storm_gives_one_event_per_second():
    t, f = piecewise(levels([(0, 1), (30, 6), (0, 1)]), RATE)
    f[200:500:3] = 5000.0  # every third sample garbage for 3 s (a loose wire)
    pipe = LivePipeline(P, RATE)
    events = [
        e for a in range(0, t.size, 7) for e in pipe.process(t[a : a + 7], f[a : a + 7]).events
    ]
    glitches = [e for e in events if e.kind == "glitch"]
    assert [g.t_s for g in glitches] == [2.0, 3.02, 4.04]
    assert [g.data["count"] for g in glitches] == [1, 34, 34]  # 31 more after 4.04 s: counted below
    assert pipe.summary().glitches == 100
    assert not any(e.kind == "alert_start" for e in events)
    assert len(pipe.holds) == 1 and pipe.holds[0].completed  # the hold went on through the storm


def test_a_wrong_nominal_rate_is_replaced_by_the_measured_one():
    t, f = piecewise(levels([(0, 1), (30, 7), (0, 1)]), 10.0)
    pipe = LivePipeline(P, 80.0)  # the sensor was said to run at 80 Hz; it sends 10
    first = pipe.process(t[:5], f[:5])
    assert pipe.sample_rate_hz == 80.0
    res = pipe.process(t[5:], f[5:])
    assert pipe.sample_rate_hz == pytest.approx(10.0) == pipe.state.sample_rate_hz
    assert not any(e.kind == "gap" for e in first.events + res.events)
    assert len(pipe.holds) == 1 and pipe.holds[0].completed
    close = LivePipeline(P, 11.0)  # within 20 %: the nominal rate stands
    close.process(t, f)
    assert close.sample_rate_hz == 11.0


def test_per_sample_outputs_for_an_export():
    t, f = piecewise(levels([(0, 1), (17, 1), (30, 3), (40, 1), (0, 1)]), RATE)
    a = analyze(t, f, P, RATE, keep_samples=True)
    s = a.samples
    assert s is not None and s.display.size == s.detect.size == s.state_code.size == t.size
    codes_seen = [int(c) for c in np.unique(s.state_code)]
    assert codes_seen == [0, 1, 2, 3]
    lingering = (t > 1.5) & (t < 2.2)  # 17 N: above T/2 but below the 18 N press threshold
    assert np.all(s.state_code[lingering] == 0)
    np.testing.assert_array_equal(s.in_band, s.state_code == 2)
    assert analyze(t, f, P, RATE).samples is None


@pytest.mark.parametrize("n", [1, 64, 65, 10_000])
def test_zone_codes_are_searchsorted_on_every_path(n):
    """Long blocks count edges by comparisons instead of a binary search: the same codes, at the
    edges themselves, a hair either side, and for non-finite values."""
    edges = zone_edges(HoldParams(target_n=30.0, tolerance_n=3.0, hold_s=5.0))
    special = np.r_[edges, np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf)]
    special = np.r_[special, np.nan, np.inf, -np.inf]
    y = np.random.default_rng(n).uniform(-5.0, 45.0, n)
    y[: min(n, special.size)] = special[: min(n, special.size)]
    np.testing.assert_array_equal(zone_codes(edges, y), edges.searchsorted(y, "right"))
