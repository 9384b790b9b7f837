"""``presshold simulate --pty`` prints its device first and feeds a real SerialSource."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from support.collect import Collect
from support.simulate_pty import SimulatePty

from presshold.firmware_bridge import open_source


def test_simulate_pty_feeds_serial_source(tmp_path: Path) -> None:
    with SimulatePty("--rate", "200", "--seed", "1") as sim:
        assert sim.path.startswith("/dev/")
        src = open_source(sim.path, data_dir=tmp_path)
        sink = Collect()
        src.start(sink)
        # generous: judged on content, not on speed
        sink.wait(lambda: src.status.sensor is not None and sink.count() >= 200, timeout=15)
        status = src.status
        src.stop()
        assert status.connected and status.sensor == "sim-hand" and status.unit == "raw"
        assert status.rejected.keys() <= {"partial"}, status.rejected
        t = sink.times()
        assert len(t) >= 200 and np.all(np.diff(t) > 0)
        f = sink.values()
        assert np.median(np.abs(f)) < 100  # newtons through the sim calibration, not raw counts


def test_ports_lists_the_simulators_pty_until_it_stops() -> None:
    with SimulatePty("--rate", "50") as sim:
        listed = subprocess.run(
            [sys.executable, "-m", "presshold", "ports"], capture_output=True, text=True, timeout=60
        ).stdout
        line = next(ln for ln in listed.splitlines() if ln.startswith(sim.path + " "))
        assert "PressHold simulator (pty)" in line
    after = subprocess.run(
        [sys.executable, "-m", "presshold", "ports"], capture_output=True, text=True, timeout=60
    ).stdout
    assert sim.path + " " not in after


def test_simulate_gauge_prints_its_pty_and_answers_as_that_gauge(tmp_path: Path) -> None:
    """``presshold simulate --pty --gauge mark10``: a Mark-10 a GaugeSource reads in newtons."""
    with SimulatePty("--gauge", "mark10", "--seed", "3", "--unit-every", "0.5") as sim:
        assert sim.path.startswith("/dev/")
        src = open_source(f"mark10:{sim.path}", data_dir=tmp_path)
        sink = Collect()
        src.start(sink)
        sink.wait(lambda: sink.count() >= 100 and len(src.status.device_messages) >= 2, 15)
        status = src.status
        src.stop()
        got = sink.values()
        assert status.connected and status.sensor == "Mark-10 gauge" and status.unit == "N"
        assert len(got) >= 100 and max(got) < 200  # the hand's newtons, whatever the unit shown
        assert any("reads in" in m for m in status.device_messages)  # the unit switched
    assert "--source mark10:" in sim.stderr
