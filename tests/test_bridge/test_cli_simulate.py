"""``presshold simulate --pty`` prints its device first and feeds a real SerialSource."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from presshold.firmware_bridge import open_source


def test_simulate_pty_feeds_serial_source(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "presshold", "simulate", "--pty", "--rate", "200", "--seed", "1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        path = proc.stdout.readline().strip()
        assert path.startswith("/dev/")
        src = open_source(path, data_dir=tmp_path)
        got = []

        class Sink:
            def on_readings(self, b):  # type: ignore[no-untyped-def]
                got.append(b)

            def on_status(self, s):  # type: ignore[no-untyped-def]
                pass

        src.start(Sink())
        end = time.monotonic() + 15  # generous: judged on content, not on speed
        while time.monotonic() < end and (src.status.sensor is None or sum(map(len, got)) < 200):
            time.sleep(0.05)
        status = src.status
        src.stop()
        assert status.connected and status.sensor == "sim-hand" and status.unit == "raw"
        assert status.rejected.keys() <= {"partial"}, status.rejected
        t = np.concatenate([b.t_s for b in got])
        assert len(t) >= 200 and np.all(np.diff(t) > 0)
        f = np.concatenate([b.force_n for b in got])
        assert np.median(np.abs(f)) < 100  # newtons through the sim calibration, not raw counts
    finally:
        proc.terminate()
        assert proc.wait(timeout=5) == 0
        if proc.stdout is not None:
            proc.stdout.close()


def test_ports_lists_the_simulators_pty_until_it_stops() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "presshold", "simulate", "--pty", "--rate", "50"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        path = proc.stdout.readline().strip()
        listed = subprocess.run(
            [sys.executable, "-m", "presshold", "ports"], capture_output=True, text=True, timeout=60
        ).stdout
        line = next(ln for ln in listed.splitlines() if ln.startswith(path + " "))
        assert "PressHold simulator (pty)" in line
    finally:
        proc.terminate()
        assert proc.wait(timeout=5) == 0
        if proc.stdout is not None:
            proc.stdout.close()
    after = subprocess.run(
        [sys.executable, "-m", "presshold", "ports"], capture_output=True, text=True, timeout=60
    ).stdout
    assert path + " " not in after


def test_simulate_gauge_prints_its_pty_and_answers_as_that_gauge(tmp_path: Path) -> None:
    """``presshold simulate --pty --gauge mark10``: a Mark-10 a GaugeSource reads in newtons."""
    args = ["simulate", "--pty", "--gauge", "mark10", "--seed", "3", "--unit-every", "0.5"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "presshold", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        path = proc.stdout.readline().strip()
        assert path.startswith("/dev/")
        src = open_source(f"mark10:{path}", data_dir=tmp_path)
        got: list[float] = []

        class Sink:
            def on_readings(self, b):  # type: ignore[no-untyped-def]
                got.extend(b.force_n.tolist())

            def on_status(self, s):  # type: ignore[no-untyped-def]
                pass

        src.start(Sink())
        end = time.monotonic() + 15
        while time.monotonic() < end and (len(got) < 100 or len(src.status.device_messages) < 2):
            time.sleep(0.05)
        status = src.status
        src.stop()
        assert status.connected and status.sensor == "Mark-10 gauge" and status.unit == "N"
        assert len(got) >= 100 and max(got) < 200  # the hand's newtons, whatever the unit shown
        assert any("reads in" in m for m in status.device_messages)  # the unit switched
    finally:
        proc.terminate()
        assert proc.wait(timeout=5) == 0
        assert proc.stderr is not None and "--source mark10:" in proc.stderr.read()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
