"""The patient button: the optional ``button:<0|1>`` field, the simulated client who presses it,
and ``presshold simulate --pty --button-at`` feeding a real SerialSource."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.collect import Collect
from support.simulate_pty import SimulatePty

from presshold.firmware_bridge import open_source
from presshold.firmware_bridge.protocol import LineParser, format_reading
from presshold.firmware_bridge.sim_client import SimulatedClient


def test_button_changes_are_reported_once_with_their_reading_time() -> None:
    p = LineParser()
    lines = [format_reading(1000 * k, "84000", "raw", b) for k, b in enumerate([0, 0, 1, 1, 1, 0])]
    out = p.feed("".join(lines).encode())
    assert out.values == [84000.0] * 6 and not p.rejected
    assert out.button == [(2000, True), (5000, False)]
    # split anywhere, the same: state carries over between feeds
    more = p.feed(format_reading(6000, "1", "raw", True).encode())
    assert more.button == [(6000, True)]


def test_devices_without_a_button_and_bad_values_lose_nothing() -> None:
    p = LineParser()
    out = p.feed(b"t_us:1,raw:5\nt_us:2,raw:6,button:2\nt_us:3,raw:7,temp:21,button:1\n")
    assert out.values == [5.0, 6.0, 7.0] and not p.rejected  # a bad button value: reading kept
    assert out.button == [(3, True)]  # the field may come after other (reserved) fields
    assert LineParser().feed(b"t_us:1,raw:5,button:0\n").button == []  # released at start: quiet


@given(st.lists(st.booleans(), min_size=1, max_size=60), st.integers(1, 40))
def test_any_chunking_gives_the_same_changes(states: list[bool], cut: int) -> None:
    data = "".join(format_reading(10 * (k + 1), "1", "raw", b) for k, b in enumerate(states))
    whole = LineParser().feed(data.encode()).button
    p = LineParser()
    raw = data.encode()
    parts = [p.feed(raw[i : i + cut]).button for i in range(0, len(raw), cut)]
    assert [c for part in parts for c in part] == whole
    expected, last = [], False
    for k, b in enumerate(states):
        if b != last:
            expected.append((10 * (k + 1), b))
            last = b
    assert whole == expected


def test_simulated_client_presses_at_threshold_with_hysteresis_and_taps() -> None:
    c = SimulatedClient(threshold_n=20.0)
    t = np.arange(12.0)
    f = np.array([0, 10, 19.9, 20, 25, 19, 11, 9, 5, 21, 22, 0.0])
    # decided on the median of the last three readings, so one reading after the crossing
    assert c.feed(t, f) == [(4, True), (8, False), (10, True)]  # off below 10 N
    spiky = SimulatedClient(threshold_n=20.0)  # a one-sample sensor spike is not felt
    assert spiky.feed(np.arange(5.0), np.array([0, 0, 3862, 0, 0.0])) == []
    late = SimulatedClient(threshold_n=20.0)  # set while the probe already presses at 30 N
    assert late.feed(np.arange(6.0), np.array([30, 25, 5, 5, 21, 22.0])) == [(5, True)]
    c = SimulatedClient()
    c.tap()
    assert c.feed(np.arange(6) * 0.125, np.zeros(6)) == [(0.0, True), (0.375, False)]


class CollectPresses(Collect):
    """Also keeps the patient button's changes, (t_s, pressed)."""

    def __init__(self) -> None:
        super().__init__()
        self.presses: list[tuple[float, bool]] = []

    def on_button(self, t_s: float, pressed: bool) -> None:
        self.presses.append((t_s, pressed))


@pytest.mark.skipif(sys.platform == "win32", reason="pty")
def test_simulate_pty_client_presses_the_button(tmp_path: Path) -> None:
    with SimulatePty("--rate", "200", "--seed", "3", "--button-at", "5") as sim:
        src = open_source(sim.path, data_dir=tmp_path)
        sink = CollectPresses()
        src.start(sink)
        # the hand model presses within seconds; judged on content
        sink.wait(lambda: any(p for _, p in sink.presses), timeout=30)
        src.stop()
        assert any(p for _, p in sink.presses), "the simulated client never pressed"
        t, f = sink.times(), sink.values()
        t_press = next(tp for tp, p in sink.presses if p)
        i = int(np.searchsorted(t, t_press))
        assert t[i] == t_press  # stamped exactly as the reading it came with
        # at the threshold crossing (decided on the median of three: within two readings)
        assert f[i] >= 4.9 and np.min(f[i - 4 : i]) < 5.0
        assert src.status.rejected.keys() <= {"partial"}
