"""The header-row CSV dialect (``Times,Measures`` / ``12345,2.57``): the clock column is the
device clock, never the force (issue 12, "the sketches people already have")."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from presshold.firmware_bridge.csv_header import infer_us_per_unit, parse_header
from presshold.firmware_bridge.protocol import LineParser


def _feed(lines: list[str], first: str = "\n") -> tuple[LineParser, list[int], list[float]]:
    p = LineParser()
    got = p.feed((first + "\n".join(lines) + "\n").encode())
    return p, got.t_us, got.values


def test_times_measures_reads_the_clock_as_time_and_the_value_as_force() -> None:
    rows = [f"{12345 + 13 * k},{2.5 + k / 100:.2f}" for k in range(10)]  # millis() at ~80 Hz
    p, t_us, values = _feed(["Times,Measures", *rows])
    assert values == pytest.approx([2.5 + k / 100 for k in range(10)])
    assert np.diff(t_us).tolist() == [13_000] * 9  # millis inferred from the 13 ms steps
    assert p.rejected == {"partial": 1}  # only the empty line before the header


@pytest.mark.parametrize(
    ("header", "clock", "scale"),
    [
        ("time_us\tforce", 0, 1.0),
        ("Time (ms);Weight [g]", 0, 1e3),
        ("micros raw", 0, 1.0),
        ("reading,seconds", 1, 1e6),
        ("load,t", 1, None),
    ],
)
def test_header_names_say_which_column_is_which(header: str, clock: int, scale: float | None):
    cols = parse_header(header)
    assert cols is not None and cols.clock == clock and cols.force == 1 - clock
    assert cols.clock_us == scale


def test_the_force_is_the_named_column_else_the_first_other() -> None:
    named = parse_header("ms,temp,Load Cell")
    assert named is not None and (named.clock, named.force) == (0, 2)
    plain = parse_header("millis,a,b")
    assert plain is not None and (plain.clock, plain.force) == (0, 1)
    for not_a_header in ("12345,2.57", "hello world", "force:1 load:2", "Only"):
        assert parse_header(not_a_header) is None, not_a_header


def test_unit_inference_picks_the_rate_nearest_a_sensor() -> None:
    assert infer_us_per_unit([0, 12500, 25000, 37500]) == 1.0  # micros at 80 Hz
    assert infer_us_per_unit([0, 100, 200, 300]) == 1e3  # millis at 10 Hz (HX711 RATE low)
    assert infer_us_per_unit([0.0, 0.0125, 0.025]) == 1e6  # seconds
    assert infer_us_per_unit([5, 5, 5]) is None


def test_a_header_as_the_first_line_after_opening_the_port_is_used() -> None:
    p = LineParser()
    got = p.feed(b"t_ms,force\n0,1.5\n20,1.6\n")
    assert got.values == [1.5, 1.6] and got.t_us[1] - got.t_us[0] == 20_000 and not p.rejected


def test_micros_wrap_and_a_reset_with_a_new_header_keep_time_increasing() -> None:
    wrap = 1 << 32
    rows = [f"{(wrap - 25_000 + 12_500 * k) % wrap},{k}" for k in range(6)]
    p, t_us, _ = _feed(["micros,force", *rows])
    assert np.diff(t_us).tolist() == [12_500] * 5
    got = p.feed(b"micros,force\n100,7\n12600,8\n")  # the board reset and printed its header
    assert got.values == [7.0, 8.0] and got.t_us[0] > t_us[-1] and got.reanchor
    assert "reset" not in p.rejected  # a header is a reboot's hello
    bad = p.feed(b"12700\nnot,numbers\n")
    assert bad.values == [] and p.rejected["garbage"] == 2


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=40),
    st.sampled_from([("millis", 1_000), ("micros", 1), ("seconds", 1_000_000)]),
    st.integers(1, 1000),
    st.lists(st.integers(1, 40), min_size=1, max_size=10),
)
def test_every_row_in_any_chunking_arrives_with_its_time(values, clock, period_units, cuts):
    name, us = clock
    period = period_units if name != "seconds" else period_units / 1000
    text = f"\n{name},force\n" + "".join(
        f"{(k * period):.6f},{v!r}\n" if name == "seconds" else f"{k * period},{v!r}\n"
        for k, v in enumerate(values)
    )
    data = text.encode()
    p = LineParser()
    t_all: list[int] = []
    v_all: list[float] = []
    i = k = 0
    while i < len(data):
        n = cuts[k % len(cuts)]
        got = p.feed(data[i : i + n])
        t_all += got.t_us
        v_all += got.values
        i, k = i + n, k + 1
    assert v_all == values and p.rejected == {"partial": 1}
    assert all(b - a == round(period * us) for a, b in itertools.pairwise(t_all))


def test_a_times_measures_sketch_on_a_serial_port(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """End to end over a pty: force is the Measures column, spaced by the device's millis()."""
    from support.collect import streaming
    from support.pty_device import PtyDevice

    with PtyDevice(tmp_path / "ttyCSV") as dev, streaming(dev.path, data_dir=tmp_path) as (_, sink):
        dev.write(b"\nTimes,Measures\n")
        dev.write("".join(f"{50_000 + 12 * k},{1.25 + k}\n" for k in range(20)).encode())
        assert sink.wait(lambda: len(sink.values()) == 20)
        np.testing.assert_allclose(sink.values(), [1.25 + k for k in range(20)])
        np.testing.assert_allclose(np.diff(sink.times()), 0.012, atol=1e-9)
