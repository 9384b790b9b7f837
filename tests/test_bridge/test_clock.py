"""Device time -> host time: spacing kept, never in the future, never backwards."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from presshold.firmware_bridge.clock import SLEW, DeviceClock
from presshold.firmware_bridge.protocol import LineParser


def test_spacing_kept_and_offset_follows_the_fastest_arrival() -> None:
    c = DeviceClock()
    t = c.stamp(np.array([0, 12_500, 25_000]), now=100.030)  # offset 100.005 so far
    np.testing.assert_allclose(t, [100.005, 100.0175, 100.030], rtol=0, atol=1e-9)
    t = c.stamp(np.array([37_500]), now=100.0405)  # 2 ms faster transit: offset drops to it
    assert abs(t[0] - 100.0405) < 1e-9
    t = c.stamp(np.array([50_000]), now=100.090)  # 37 ms late (host busy): device time rules
    assert abs(t[0] - (100.053 + SLEW * 0.0495)) < 1e-9


def test_a_corrupt_timestamp_far_ahead_is_pinned_to_its_arrival() -> None:
    c = DeviceClock()
    c.stamp(np.array([1_000_000]), now=50.0)
    t = c.stamp(np.array([81_000_000]), now=50.02)  # a digit flipped: 80 s in the future
    assert t[0] <= 50.02


def test_reanchor_never_steps_back() -> None:
    c = DeviceClock()
    first = c.stamp(np.array([5_000_000, 5_001_000]), now=10.0)
    c.reanchor()
    again = c.stamp(np.array([5_001_001, 5_002_001]), now=9.999)  # host saw it "earlier"
    assert again[0] > first[-1] and np.all(np.diff(again) > 0)
    arrival = c.stamp_arrival(3, now=9.0)
    assert arrival[0] > again[-1] and np.all(np.diff(arrival) > 0)


def test_a_burst_after_a_late_batch_is_spread_out_not_piled_up() -> None:
    """The first batch came late (offset too high); a backlog then arrives at once. Its stamps
    cannot go back before the late ones nor beyond arrival: they share that window evenly."""
    c = DeviceClock()
    first = c.stamp(np.array([0, 12_500, 25_000]), now=0.2)
    burst = c.stamp(np.arange(37_500, 150_001, 12_500), now=0.21)
    assert burst[0] > first[-1] and burst[-1] <= 0.21 + 1e-9
    assert np.diff(burst).min() > 0.5e-3  # ~1 ms apart, not 1 us
    np.testing.assert_allclose(np.diff(burst), np.diff(burst)[0], rtol=1e-6)


def test_a_slow_device_clock_is_followed() -> None:
    """A resonator 0.5 % slow: stamps stay within a few ms of arrival over 10 minutes."""
    c = DeviceClock()
    lag = []
    for k in range(1, 48_000):  # 80 Hz for 10 min of host time
        now = k / 80.0
        t = c.stamp(np.array([int(k / 80.0 * 0.995 * 1e6)]), now)
        lag.append(now - t[0])
    assert max(lag) < 0.005 and min(lag) >= 0


@settings(deadline=None)  # judged on content: a loaded CI machine must not fail it on time
@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.floats(0, 0.2), st.booleans()), min_size=1, max_size=200
    )
)
def test_stamps_increase_and_never_lead_arrival(batches: list[tuple[int, float, bool]]) -> None:
    """Random batch sizes, latencies and re-anchors (80 Hz device, clock 0.3 % fast)."""
    c = DeviceClock()
    k, last, now = 0, float("-inf"), 0.0
    for n, latency, reanchor in batches:
        if reanchor:
            c.reanchor()
        k += n
        dev_us = (np.arange(k - n, k) * 12_500 * 1.003).astype(np.int64)
        now = max(now, (k - 1) * 0.0125 + latency)  # arrivals are in order
        t = c.stamp(dev_us, now)
        assert t[0] > last and np.all(np.diff(t) > 0)
        assert t[-1] <= now + k * 1e-6 + 1e-9  # at most the microseconds that keep order
        last = t[-1]


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2**32 - 1), st.booleans(), st.floats(0.001, 0.5)),
        min_size=1,
        max_size=100,
    )
)
def test_any_device_times_give_increasing_stamps_never_after_arrival(
    lines: list[tuple[int, bool, float]],
) -> None:
    """Parser + clock as the reader uses them, on arbitrary micros() values: resets, wraps,
    repeats, jumps, hellos. Host time only moves forward."""
    parser, clock = LineParser(), DeviceClock()
    now, last = 100.0, float("-inf")
    for t_us, hello, dt in lines:
        now += dt
        data = (b"# presshold 1 sensor=s rate=80 unit=raw\n" if hello else b"") + (
            f"t_us:{t_us},raw:1\n".encode()
        )
        got = parser.feed(data)
        if got.reanchor:
            clock.reanchor()
        if got.t_us:
            t = clock.stamp(np.asarray(got.t_us, dtype=np.int64), now)
            assert t[0] > last and t[-1] <= now + len(lines) * 1e-6
            last = t[-1]
