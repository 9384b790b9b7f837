"""The real firmware on simavr, read with pyserial: hello, line format, 80 SPS in device time,
raw counts equal to the played profile through the model's offset/scale, faults, broken build."""

from __future__ import annotations

import itertools
import re
import time
from pathlib import Path

import pytest
import serial
from support.avr_sim import BROKEN_FIRMWARE, OFFSET, SCALE_COUNTS_PER_N, AvrSim

SAMPLE = re.compile(rb"^t_us:(\d+),raw:(-?\d+)\r\n$")
HELLO = b"# presshold 1 sensor=hx711 rate=80 unit=raw\r\n"
PROFILE = ((0.0, 0.0), (0.5, 0.0), (1.0, 20.0), (1.5, 20.0), (2.0, 5.0))


def read_lines(port: Path, seconds: float) -> list[bytes]:
    """Every line the device sends in `seconds` of device time (max 3x that in wall time)."""
    lines: list[bytes] = []
    with serial.Serial(str(port), 115200, timeout=0.5) as ser:
        first_t: int | None = None
        deadline = time.monotonic() + 3 * seconds + 5
        while time.monotonic() < deadline:
            line = ser.readline()
            if not line:
                continue
            lines.append(line)
            m = SAMPLE.match(line)
            if m:
                t = int(m.group(1))
                first_t = t if first_t is None else first_t
                if t - first_t >= seconds * 1e6:
                    break
    return lines


def samples(lines: list[bytes]) -> list[tuple[int, int]]:
    out = []
    for line in lines:
        m = SAMPLE.match(line)
        if m:
            out.append((int(m.group(1)), int(m.group(2))))
    return out


def expected_raw(t_s: float) -> float:
    ts = [p[0] for p in PROFILE]
    fs = [p[1] for p in PROFILE]
    for i in range(1, len(ts)):
        if t_s < ts[i]:
            return OFFSET + SCALE_COUNTS_PER_N * (
                fs[i - 1] + (t_s - ts[i - 1]) / (ts[i] - ts[i - 1]) * (fs[i] - fs[i - 1])
            )
    return OFFSET + SCALE_COUNTS_PER_N * fs[-1]


def test_hello_format_rate_and_profile(tmp_path: Path) -> None:
    with AvrSim(tmp_path / "tty", PROFILE) as sim:
        lines = read_lines(sim.link, 2.2)
    assert lines[0] == HELLO
    assert all(len(line) <= 128 for line in lines)
    assert all(SAMPLE.match(line) or line.startswith(b"# ") for line in lines), lines[:5]
    got = samples(lines)
    ts = [t for t, _ in got]
    periods = [b - a for a, b in itertools.pairwise(ts)]
    assert min(periods) > 12_000 and max(periods) < 13_000, (min(periods), max(periods))
    assert len(got) >= 170
    # The conversion is made up to one period before the firmware stamps it.
    for t_us, raw in got:
        t = t_us / 1e6
        lo, hi = sorted((expected_raw(t - 0.0176), expected_raw(t + 0.005)))
        assert lo - 1 <= raw <= hi + 1, (t_us, raw, lo, hi)


def test_unplugged_hx711_is_reported_and_recovers(tmp_path: Path) -> None:
    with AvrSim(tmp_path / "tty", ((0.0, 3.0),), unplug=(0.5, 1.2)) as sim:
        lines = read_lines(sim.link, 2.0)
    reports = [line for line in lines if line.startswith(b"# hx711")]
    assert reports[0].startswith(b"# hx711 not responding")
    assert reports[1] == b"# hx711 back\r\n"
    ts = [t for t, _ in samples(lines)]
    gaps = [b - a for a, b in itertools.pairwise(ts)]
    assert max(gaps) > 600_000  # the unplugged stretch
    assert ts[-1] > 1_500_000  # streaming again after it
    assert all(raw == OFFSET + 3 * 42800 for _, raw in samples(lines))


def test_mcu_reset_sends_new_hello_and_time_restarts(tmp_path: Path) -> None:
    with AvrSim(tmp_path / "tty", ((0.0, 1.0),), reset_at_s=1.0) as sim:
        lines = read_lines(sim.link, 1.5)
    hellos = [i for i, line in enumerate(lines) if line == HELLO]
    assert len(hellos) == 2
    before = samples(lines[: hellos[1]])
    after = samples(lines[hellos[1] :])
    assert before and after
    assert after[0][0] < before[-1][0]  # device time went backwards


def test_hello_on_request(tmp_path: Path) -> None:
    with AvrSim(tmp_path / "tty") as sim, serial.Serial(str(sim.link), 115200, timeout=2) as ser:
        assert ser.readline() == HELLO
        ser.readline()
        ser.write(b"?")
        for _ in range(40):
            if ser.readline() == HELLO:
                break
        else:
            pytest.fail("no hello after '?'")


def test_broken_pulse_count_produces_wrong_values(tmp_path: Path) -> None:
    """Proves the suite catches a bad HX711 read: 23 pulses drops the LSB and halves counts."""
    with AvrSim(tmp_path / "tty", ((0.0, 2.0),), firmware=BROKEN_FIRMWARE) as sim:
        lines = read_lines(sim.link, 0.5)
    raws = [raw for _, raw in samples(lines)]
    expected = OFFSET + 2 * 42800
    assert raws and all(raw != expected for raw in raws)
    assert all(abs(raw - expected // 2) <= 1 for raw in raws[1:])
