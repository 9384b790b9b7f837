"""Soak: unplug and replug a pty sensor again and again — no reading sent while connected is lost.

Each cycle re-creates the pty behind the same link (a board re-enumerating), waits for the reader
to reconnect, sends a burst of readings, checks every one arrived in order, then pulls the plug.
Short form: 5 cycles; ``-m soak``: 1,000 (figures in docs/reliability.md).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest
from support.collect import Collect
from support.pty_device import PtyDevice
from support.soak import choose

from presshold.firmware_bridge import open_source

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals")
READINGS_PER_CYCLE = 50


@pytest.mark.soak
@pytest.mark.timeout(3600)
def test_unplug_replug_cycles_lose_nothing_sent_while_connected(tmp_path: Path) -> None:
    cycles = choose(5, 1000)
    dev = PtyDevice(tmp_path / "ttyACM0", rate_hz=1000)
    src = open_source(dev.path, data_dir=tmp_path)
    sink = Collect()
    src.start(sink)
    t_us = 1_000
    sent: list[float] = []
    reconnect_s: list[float] = []
    started = time.monotonic()
    try:
        for cycle in range(cycles):
            t0 = time.monotonic()
            if cycle:
                dev.replug()
            assert sink.wait(lambda: src.status.connected, timeout=10), f"cycle {cycle}"
            reconnect_s.append(time.monotonic() - t0)
            values = cycle * READINGS_PER_CYCLE + np.arange(READINGS_PER_CYCLE, dtype=float)
            stamps = t_us + 1000 * np.arange(READINGS_PER_CYCLE)
            t_us = int(stamps[-1]) + 1000
            dev.send_readings(stamps.tolist(), values.tolist())
            sent += values.tolist()
            want = len(sent)
            assert sink.wait(lambda want=want: len(sink.values()) >= want, timeout=10), (
                f"cycle {cycle}: {len(sink.values())} of {want} readings arrived"
            )
            dev.unplug()
            assert sink.wait(lambda: not src.status.connected, timeout=10), f"cycle {cycle}"
    finally:
        src.stop()
        dev.close()
    got = sink.values()
    assert got.tolist() == sent  # none lost, none doubled, in order
    assert np.all(np.diff(sink.times()) > 0)
    elapsed = time.monotonic() - started
    print(
        f"\nreplug soak: {cycles} cycles, {len(sent):,} readings, none lost; "
        f"reconnect median {1000 * float(np.median(reconnect_s[1:] or [0])):.0f} ms, "
        f"max {1000 * max(reconnect_s[1:] or [0]):.0f} ms; {elapsed:.0f} s"
    )
