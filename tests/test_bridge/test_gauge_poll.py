"""Polling policy, rate, arrival stamps and the simulated gauges: pure, the clock passed in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from presshold.firmware_bridge.gauge_dialects import DIALECTS
from presshold.firmware_bridge.gauge_poll import Poller, RateMeter, spread_stamps
from presshold.firmware_bridge.gauge_protocol import GaugeParser
from presshold.firmware_bridge.gauge_pty import profile_force
from presshold.firmware_bridge.gauge_sim import SimulatedGauge
from presshold.signal.units import LBF_N


def test_the_pipeline_is_kept_full_and_refilled_per_reply() -> None:
    p = Poller((b"?C\r",), pipeline=2)
    assert p.due(0.0) == [b"?C\r", b"?C\r"] and p.in_flight == 2
    assert p.due(0.01) == []
    p.answered(replies=1, readings=1, errors=0)
    assert p.due(0.02) == [b"?C\r"] and p.sent == 3


def test_an_unanswered_request_is_given_up_and_counted() -> None:
    p = Poller((b"?",), pipeline=1, reply_timeout_s=0.5)
    p.due(0.0)
    assert p.due(0.4) == []
    assert p.due(0.6) == [b"?"] and p.timeouts == 1


def test_errors_before_any_reading_fall_back_to_the_next_request() -> None:
    p = Poller((b"?C\r", b"?\r"), pipeline=2)
    p.due(0.0)
    assert p.answered(1, 0, 1) is None
    note = p.answered(1, 0, 1)
    assert note is not None and "'?C'" in note and "'?'" in note
    assert p.due(0.1) == [b"?\r", b"?\r"]


def test_errors_after_readings_do_not_change_the_request() -> None:
    p = Poller((b"?C\r", b"?\r"))
    p.due(0.0)
    p.answered(1, 1, 0)
    for _ in range(5):
        assert p.answered(1, 0, 1) is None
    assert p.request == b"?C\r"


def test_one_off_commands_go_first_and_the_unit_is_asked_between_polls() -> None:
    p = Poller((b"F",), unit_query=b"U", unit_every_s=2.0)
    p.send_once(b"Z")
    assert p.due(0.0) == [b"Z", b"U"]  # the unit query fills the one slot
    p.answered(1, 0, 0)
    assert p.due(0.1) == [b"F"]
    p.answered(1, 1, 0)
    assert p.due(1.0) == [b"F"]
    p.answered(1, 1, 0)
    assert p.due(2.5) == [b"U"]


def test_a_stream_only_sends_one_off_commands() -> None:
    p = Poller(())
    assert p.due(0.0) == []
    p.send_once(b"BB\r")
    assert p.due(0.1) == [b"BB\r"] and p.request is None


@given(
    st.lists(st.one_of(st.none(), st.floats(0.001, 1.2)), min_size=1, max_size=100),
    st.integers(1, 4),
)
def test_the_poller_never_overfills_and_never_stalls(
    delays: list[float | None], pipeline: int
) -> None:
    """Against a gauge that answers each request after any delay, or never (None): at most
    ``pipeline`` requests are out, and a request always goes out within the reply timeout."""
    p = Poller((b"?",), pipeline, reply_timeout_s=0.5)
    replies: list[float] = []  # arrival times of replies on their way
    last_sent, k = 0.0, 0
    for step in range(1, 500):
        now = step * 0.01
        for _ in p.due(now):
            delay = delays[k % len(delays)]
            k += 1
            last_sent = now
            if delay is not None:
                replies.append(now + delay)
        arrived = sum(1 for t in replies if t <= now)
        replies = [t for t in replies if t > now]
        if arrived:
            p.answered(arrived, arrived, 0)
        assert 0 <= p.in_flight <= pipeline
        assert now - last_sent <= 0.5 + 0.011


def test_rate_meter_counts_per_window() -> None:
    m = RateMeter(window_s=1.0)
    assert m.add(1, 10.0) is None  # opens the window
    rates = [m.add(1, 10.0 + k * 0.02) for k in range(1, 51)]
    assert rates[-1] == pytest.approx(50.0) and all(r is None for r in rates[:-1])
    m.restart()
    assert m.add(5, 20.0) is None


@given(
    st.floats(0, 100),
    st.floats(0, 1),
    st.integers(1, 50),
    st.floats(1e-4, 1),
)
def test_stamps_are_increasing_after_the_last_and_end_at_arrival(
    last: float, gap: float, n: int, period: float
) -> None:
    t = spread_stamps(last, last + gap, n, period)
    assert len(t) == n and np.all(np.diff(t) > 0) and t[0] > last
    if gap >= n * 1e-6:
        assert t[-1] == pytest.approx(last + gap)
        assert np.diff(t) == pytest.approx(np.full(n - 1, min(period, gap / n))) or n == 1


# -- the simulated gauges (the models the end-to-end tests drive) --------------------------------
def _run(gauge: SimulatedGauge, commands: list[tuple[float, bytes]], until: float) -> bytes:
    out = bytearray()
    for at, cmd in commands:
        out += gauge.output(at)
        gauge.receive(cmd, at)
    return bytes(out + gauge.output(until))


def test_mark10_answers_after_its_delay_one_at_a_time() -> None:
    g = SimulatedGauge("mark10", lambda t: 12.5)
    g.receive(b"?C\r?C\r", 0.0)
    first = 0.008 + len(b"12.50 N\r\n") * 10 / 115200
    assert g.output(first - 1e-4) == b""
    assert g.output(first) == b"12.50 N\r\n"
    assert g.output(2 * first) == b"12.50 N\r\n"  # queued behind the first


def test_mark10_units_zero_and_refusals() -> None:
    g = SimulatedGauge("mark10", lambda t: 10 * LBF_N)
    out = _run(g, [(0, b"LB\r"), (0.1, b"?C\r"), (0.2, b"XYZ\r"), (0.3, b"Z\r?\r")], 1.0)
    assert out == b"10.000 lbF\r\n*10\r\n0.000 lbF\r\n"
    s4 = SimulatedGauge("mark10", lambda t: 1.0, series4=True)
    assert _run(s4, [(0, b"?C\r?\r")], 1.0) == b"*10\r\n1.00 N\r\n"


def test_andilog_empty_first_then_values_and_its_unit() -> None:
    g = SimulatedGauge("andilog", lambda t: 12.0)
    g.set_unit("daN")
    out = _run(g, [(0, b"F"), (0.1, b"F"), (0.2, b"U"), (0.3, b"Q")], 1.0)
    assert out == b"!\r1.200\t0.00\rdaN\r?\r"


def test_dillon_streams_twelve_readings_a_second() -> None:
    g = SimulatedGauge("dillon", lambda t: 1.0, stream=True)
    g.output(0.0)
    lines = g.output(2.0).count(b"\r\n")
    assert lines == 24


def test_corrupted_replies_are_garbage_to_the_parser() -> None:
    g = SimulatedGauge("gauge", lambda t: 5.0, corrupt_every=2)
    out = _run(g, [(k * 0.1, b"D\r") for k in range(4)], 1.0)
    p = GaugeParser(DIALECTS["gauge"])
    assert p.feed(out).values_n == [5.0, 5.0] and p.rejected == {"garbage": 2}


def test_a_recorded_trace_is_played_in_a_loop(tmp_path: Path) -> None:
    trace = tmp_path / "press.csv"
    trace.write_text("t_s,force_n\n0,0\n1,10\n2,0\n")
    force = profile_force(trace)
    assert [force(t) for t in (0.5, 1.0, 2.5, 3.0)] == pytest.approx([5.0, 10.0, 5.0, 10.0])


def test_every_dialect_has_a_simulated_gauge_the_cli_offers() -> None:
    from presshold.cli.device import BEHAVIOUR_NAMES
    from presshold.firmware_bridge.gauge_sim import BEHAVIOUR

    assert set(BEHAVIOUR) == set(DIALECTS) == set(BEHAVIOUR_NAMES)
