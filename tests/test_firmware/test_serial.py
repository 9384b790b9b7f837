"""The shipped HX711 firmware on simavr, read with pyserial: hello, line format, 80 SPS in device
time, raw counts equal to the played profile through the load-cell model, HX711 unplugged and MCU
reset, and proof that firmware broken on purpose (23 clock pulses, LSB first) is caught."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import serial
from support.avr_sim import (
    FIRMWARE_23_PULSES,
    FIRMWARE_LSB_FIRST,
    FSR_FIRMWARE,
    OFFSET,
    SCALE_COUNTS_PER_N,
    AvrSim,
    fsr_counts,
)

from presshold.firmware_bridge.protocol import LineParser

SAMPLE = re.compile(rb"^t_us:(\d+),raw:(-?\d+)(?:,button:[01])?\r\n$")
HELLO = b"# presshold 1 sensor=hx711 rate=80 unit=raw\r\n"
PROFILE = ((0.0, 0.0), (0.5, 0.0), (1.0, 20.0), (1.5, 20.0), (2.0, 5.0))


def read_lines(
    port: Path, seconds: float, until: Callable[[list[bytes]], bool] | None = None
) -> list[bytes]:
    """Every line the device sends in `seconds` of device time, or until `until(lines)` holds
    (at most 3x that in wall time)."""
    lines: list[bytes] = []
    with serial.Serial(str(port), 115200, timeout=0.5) as ser:
        first_t: int | None = None
        deadline = time.monotonic() + 3 * seconds + 5
        while time.monotonic() < deadline:
            line = ser.readline()
            if not line:
                continue
            lines.append(line)
            if until is not None:
                if until(lines):
                    break
                continue
            m = SAMPLE.match(line)
            if m:
                t = int(m.group(1))
                first_t = t if first_t is None else first_t
                if t - first_t >= seconds * 1e6:
                    break
    return lines


def samples(lines: list[bytes]) -> list[tuple[int, int]]:
    """(t_us, raw) of every sample line."""
    return [(int(m.group(1)), int(m.group(2))) for m in map(SAMPLE.match, lines) if m]


def counts(force_n: float) -> int:
    """What the model's load cell gives for a force (rounded like the model)."""
    return round(OFFSET + SCALE_COUNTS_PER_N * force_n)


def expected_raw(t_s: float) -> float:
    ts = [p[0] for p in PROFILE]
    fs = [p[1] for p in PROFILE]
    for i in range(1, len(ts)):
        if t_s < ts[i]:
            f = fs[i - 1] + (t_s - ts[i - 1]) / (ts[i] - ts[i - 1]) * (fs[i] - fs[i - 1])
            return OFFSET + SCALE_COUNTS_PER_N * f
    return OFFSET + SCALE_COUNTS_PER_N * fs[-1]


def assert_follows_profile(got: list[tuple[int, int]], seconds: float) -> None:
    """Every sample is the profile's count at its device time: the conversion happens up to one
    12.5 ms period (plus a few ms of boot skew between micros() and simulated time) before the
    firmware stamps it."""
    assert len(got) >= 0.95 * seconds / 0.0125, len(got)
    periods = [b - a for (a, _), (b, _) in itertools.pairwise(got)]
    assert min(periods) > 12_000 and max(periods) < 13_000, (min(periods), max(periods))
    for t_us, raw in got:
        t = t_us / 1e6
        lo, hi = sorted((expected_raw(t - 0.0176), expected_raw(t + 0.005)))
        assert lo - 1 <= raw <= hi + 1, f"t_us={t_us}: raw {raw}, expected {lo:.0f}..{hi:.0f}"


def test_hello_format_rate_and_profile(tmp_path: Path) -> None:
    with AvrSim(tmp_path / "tty", PROFILE) as sim:
        lines = read_lines(sim.link, 2.2)
    assert sim.proc is not None and sim.proc.returncode == 0, sim.log()  # clean shutdown
    assert not sim.link.exists()  # its link removed
    assert lines[0] == HELLO  # the host waited for the port to open before booting the MCU
    assert all(len(line) <= 128 for line in lines)
    assert all(SAMPLE.match(line) or line.startswith(b"# ") for line in lines), lines[:5]
    assert_follows_profile(samples(lines), 2.2)
    # seen from the HX711: clean reads, clock never near the 60 us power-down, interrupts off
    chip = sim.summary()
    assert chip["protocol_errors"] == 0 and chip["power_downs"] == 0, sim.log()
    assert chip["reads"] >= 170 and chip["edges_with_interrupts_on"] == 0, chip
    assert chip["longest_sck_high_us"] < 10 and chip["longest_read_us"] < 200, chip


def test_unplugged_hx711_is_reported_and_recovers(tmp_path: Path) -> None:
    """The cable is pulled 20 us into a read of the conversion at 0.5 s and put back at 1.2 s.

    With DOUT pulled up (as the firmware configures it), the bits after the pull read as ones:
    at most that one sample is garbled, and only in that way. Then silence, a `#` report, and
    after the replug (a power-up: 50 ms settling) samples again and `# hx711 back`."""
    unplug_s = 0.50002
    with AvrSim(tmp_path / "tty", ((0.0, 3.0),), unplug=(unplug_s, 1.2)) as sim:
        lines = read_lines(sim.link, 2.0)
    reports = [line for line in lines if line.startswith(b"# hx711")]
    assert reports[0].startswith(b"# hx711 not responding"), reports
    assert reports[-1] == b"# hx711 back\r\n", reports
    got = samples(lines)
    ts = [t for t, _ in got]
    gaps = [b - a for a, b in itertools.pairwise(ts)]
    assert max(gaps) > 650_000  # the unplugged stretch
    assert ts[-1] > 1_500_000  # streaming again after it
    good = counts(3.0)
    bad = [(t, raw) for t, raw in got if raw != good]
    assert len(bad) <= 1, bad
    for t, raw in bad:
        assert abs(t - unplug_s * 1e6) < 10_000, (t, raw)
        # leading bits as converted, then ones from the pull-up
        assert any(raw == good | ((1 << k) - 1) for k in range(1, 24)), hex(raw)


def test_hx711_left_at_10_sps_is_explained(tmp_path: Path) -> None:
    """Most HX711 modules come with RATE low: the firmware notices 100 ms between conversions
    and says what to do; the counts are right, only slower. No false "not responding" while
    the chip settles (400 ms at 10 SPS)."""
    with AvrSim(tmp_path / "tty", ((0.0, 1.0),), rate_sps=10) as sim:
        lines = read_lines(sim.link, 0.8)
    notes = [line for line in lines if line.startswith(b"# hx711")]
    assert notes == [
        b"# hx711 at 10 SPS: RATE pin is low; tie it to DVDD for 80 SPS (hardware/README.md)\r\n"
    ]
    got = samples(lines)
    assert {raw for _, raw in got} == {counts(1.0)}
    periods = [b - a for (a, _), (b, _) in itertools.pairwise(got)]
    assert all(99_000 < p < 101_000 for p in periods), periods


def test_mcu_reset_sends_new_hello_and_time_restarts(tmp_path: Path) -> None:
    with AvrSim(
        tmp_path / "tty", ((0.0, 1.0),), reset_at_s=1.0063
    ) as sim:  # between two conversions
        lines = read_lines(sim.link, 1.5)
    hellos = [i for i, line in enumerate(lines) if line == HELLO]
    assert len(hellos) == 2
    before = samples(lines[: hellos[1]])
    after = samples(lines[hellos[1] :])
    assert before and after
    assert after[0][0] < before[-1][0]  # device time went backwards
    assert {raw for _, raw in before + after} == {counts(1.0)}


@pytest.mark.parametrize(
    ("after_conversion_s", "fragment"),
    [
        pytest.param(0.0011, "t_us:2", id="cut_after_t_us"),
        # found here: the parser once took "t_# presshold 1 ..." for a Serial-Plotter line and
        # invented a reading of 1
        pytest.param(0.0007, "t_", id="cut_after_t_"),
    ],
)
def test_reset_cutting_a_line_short_invents_no_reading(
    tmp_path: Path, after_conversion_s: float, fragment: str
) -> None:
    """The reset button, pressed while the firmware is sending a line (it starts ~0.5 ms after
    the conversion at 0.3 s), cuts that line short; the fragment runs into the reboot's hello.
    The bridge's parser must reject that line, not turn it into a reading."""
    reset_s = 0.3 + after_conversion_s
    with (
        AvrSim(tmp_path / "tty", ((0.0, 1.0),), reset_at_s=reset_s) as sim,
        serial.Serial(str(sim.link), 115200, timeout=0.5) as ser,
    ):
        data = b""
        deadline = time.monotonic() + 10
        while data.count(b"# presshold") < 2 or not data.endswith(b"\n"):
            assert time.monotonic() < deadline, data[-200:]
            data += ser.read(ser.in_waiting or 1)
        data += ser.read_until(b"\n")  # and one reading after the reboot
    cut = data.rindex(b"# presshold")
    assert data[data.rindex(b"\n", 0, cut) + 1 : cut] == fragment.encode()
    parser = LineParser()
    got = parser.feed(data)
    assert got.arrival_values == []  # nothing "plotted" out of the broken line
    assert set(got.values) == {float(counts(1.0))}
    assert parser.rejected.get("garbage") == 1, parser.rejected


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


def test_23_clock_pulses_read_what_a_real_hx711_would_give(tmp_path: Path) -> None:
    """23 pulses read the top 23 bits (half the count) and leave DOUT showing bit 1. At 2 N that
    bit is 0, so the firmware takes DOUT low for a new conversion and reads again: bit 0, then
    the gain pulse releases DOUT and the rest are ones (0x7FFFFF). The model flags the error."""
    good = counts(2.0)
    assert (good >> 1) & 1 == 0 and good & 1 == 1  # the case described above
    with AvrSim(tmp_path / "tty", ((0.0, 2.0),), firmware=FIRMWARE_23_PULSES) as sim:
        lines = read_lines(sim.link, 0.5)
    raws = [raw for _, raw in samples(lines)]
    assert good not in raws
    assert raws[:6] == [good >> 1, 0x7FFFFF] * 3
    assert set(raws) == {good >> 1, 0x7FFFFF}
    assert "46 PD_SCK pulses since the last conversion (25-27 expected)" in sim.log(), sim.log()


def test_lsb_first_reads_the_bits_reversed(tmp_path: Path) -> None:
    good = counts(2.0)
    reversed_bits = int(f"{good:024b}"[::-1], 2)
    signed = reversed_bits - (1 << 24) if reversed_bits & 0x800000 else reversed_bits
    with AvrSim(tmp_path / "tty", ((0.0, 2.0),), firmware=FIRMWARE_LSB_FIRST) as sim:
        lines = read_lines(sim.link, 0.3)
    assert {raw for _, raw in samples(lines)} == {signed}


@pytest.mark.parametrize("broken", [FIRMWARE_23_PULSES, FIRMWARE_LSB_FIRST], ids=lambda p: p.stem)
def test_profile_check_fails_on_broken_firmware(tmp_path: Path, broken: Path) -> None:
    """The check the real firmware passes (above) rejects firmware broken on purpose."""
    with AvrSim(tmp_path / "tty", PROFILE, firmware=broken) as sim:
        lines = read_lines(sim.link, 2.2)
    with pytest.raises(AssertionError) as failure:
        assert_follows_profile(samples(lines), 2.2)
    print(f"{broken.name}: {str(failure.value).splitlines()[0]}")


def test_fsr_sketch_streams_the_divider_at_100_hz(tmp_path: Path) -> None:
    """The FSR variant: same protocol, a reading every 10 ms of device time, A0 as wired."""
    press = ((0.0, 0.0), (0.3, 0.0), (0.6, 10.0), (1.0, 10.0))
    with AvrSim(tmp_path / "tty", press, firmware=FSR_FIRMWARE, fsr=True) as sim:
        lines = read_lines(sim.link, 0.9)
    assert lines[0] == b"# presshold 1 sensor=fsr rate=100 unit=raw\r\n"
    got = samples(lines)
    assert len(got) >= 90 and len(got) == len(lines) - 1
    periods = [b - a for (a, _), (b, _) in itertools.pairwise(got)]
    assert all(9_990 <= p <= 10_010 for p in periods), periods
    ts, fs = zip(*press, strict=True)
    for t_us, raw in got:  # the conversion starts right after the stamp and takes ~0.2 ms
        lo, hi = (fsr_counts(float(np.interp(t_us / 1e6 + dt, ts, fs))) for dt in (0, 5e-4))
        assert lo - 1 <= raw <= hi + 1, (t_us, raw, lo, hi)
    assert got[-1][1] == fsr_counts(10.0) == 681
