"""The gauge reply parser, units and specs: pure, no threads, no ports."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from presshold.errors import ConfigError
from presshold.firmware_bridge.force_units import (
    DEVICE_UNITS,
    number_with_unit,
    parse_value_unit,
    to_newtons,
)
from presshold.firmware_bridge.gauge_dialects import DIALECTS, is_gauge_spec, parse_gauge_spec
from presshold.firmware_bridge.gauge_protocol import MAX_REPLY, GaugeParser
from presshold.signal.units import KGF_N, LBF_N

MARK10, DILLON, ANDILOG, GAUGE = (DIALECTS[n] for n in ("mark10", "dillon", "andilog", "gauge"))


# -- units ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "newtons"),
    [
        ("4.285 N", 4.285),
        ("-18.78 lbF", -18.78 * LBF_N),
        ("1.5 kgF", 1.5 * KGF_N),
        ("250 gF", 0.25 * KGF_N),
        ("8.0 ozF", 0.5 * LBF_N),
        ("0.0125 kN", 12.5),
        ("1.2 daN", 12.0),
        ("+012.34N", 12.34),
        ("3.1 LBF", 3.1 * LBF_N),
        ("2 kg", 2 * KGF_N),
    ],
)
def test_value_unit_replies_are_newtons_whatever_the_spelling(text: str, newtons: float) -> None:
    value, unit = parse_value_unit(text)  # type: ignore[misc]
    assert unit is not None
    assert to_newtons(value, unit) == pytest.approx(newtons)


@pytest.mark.parametrize("text", ["", "N", "12 N 3", "12 furlongs", "12abc", "*10", "1.2.3 N"])
def test_anything_else_is_not_a_value(text: str) -> None:
    assert parse_value_unit(text) is None


def test_a_bare_number_has_no_unit() -> None:
    assert parse_value_unit(" 4.285 ") == (4.285, None)
    assert number_with_unit("12abc") is None and number_with_unit("12lbf") == (12.0, "lbf")


# -- the parser, dialect by dialect ------------------------------------------------------------
def test_mark10_replies_readings_errors_and_unit_changes() -> None:
    p = GaugeParser(MARK10)
    got = p.feed(b"4.285 N\r\n*10\r\n-18.78 lbF\r\n2.000 lbF\r\n")
    assert got.replies == 4 and got.errors == ["*10"]
    assert got.values_n == pytest.approx([4.285, -18.78 * LBF_N, 2 * LBF_N])
    assert got.unit_changes == ["lbf"] and p.unit == "lbf"
    assert p.feed(b"1.5\r\n").values_n == pytest.approx([1.5 * LBF_N])  # units switched off


def test_andilog_value_tab_displacement_no_unit_question_mark_and_bang() -> None:
    p = GaugeParser(ANDILOG, assumed_unit="daN")
    got = p.feed(b"!\r12.50\t0.00\r?\r-1.25\t3.10\r")
    assert got.replies == 4 and got.empty == 1 and got.errors == ["?"]
    assert got.values_n == pytest.approx([125.0, -12.5])
    got = p.feed(b"lb\r1.00\t0.00\r")  # answer to the unit query 'U'
    assert got.unit_changes == ["lbf"] and got.values_n == pytest.approx([LBF_N])


def test_compression_sign_makes_a_push_positive() -> None:
    p = GaugeParser(DILLON, compression_sign=-1.0)
    assert p.feed(b"-3.00 N\r\n").values_n == [3.0]


def test_garbage_control_bytes_overlong_and_non_finite_are_counted_not_raised() -> None:
    p = GaugeParser(MARK10)
    got = p.feed(b"4.2\xff5 N\r\n\x00\x01\r\nhello\r\nnan N\r\n" + b"9" * 200 + b"\r\n1.0 N\r\n")
    assert got.values_n == [1.0]
    assert p.rejected == {"garbage": 3, "non_finite": 1, "too_long": 1}
    assert got.replies == 6


def test_an_overlong_reply_without_terminator_is_dropped_once() -> None:
    p = GaugeParser(GAUGE)
    got = p.feed(b"7" * (MAX_REPLY + 5))
    assert got.replies == 1 and p.rejected == {"too_long": 1}
    got = p.feed(b"77777\r\n+001.00N\r\n")  # the rest of it, then a good reply
    assert got.values_n == [1.0] and got.replies == 1 and p.rejected == {"too_long": 1}


def test_a_streaming_gauges_first_line_may_be_cut_and_is_never_read() -> None:
    p = GaugeParser(DILLON, partial_first=True)
    got = p.feed(b"\r\n50 N\r\n12.50 N\r\n")  # "12.50 N" cut when the port opened
    assert got.values_n == [12.5] and p.rejected == {"partial": 1}


def test_cr_lf_split_across_reads_is_one_reply() -> None:
    p = GaugeParser(MARK10)
    assert p.feed(b"1.5 N\r").replies == 1
    assert p.feed(b"\n").replies == 0


@given(st.lists(st.integers(1, 12), min_size=1, max_size=40), st.sampled_from(list(DIALECTS)))
def test_any_chunking_gives_the_same_readings(cuts: list[int], name: str) -> None:
    stream = b"12.5 N\r\n*10\r\n!\r3.1 lbF\r\n\xfe\xff\r\n4.0\t1.0\r\n-2 kgf\r\n?\r\n" * 3
    whole = GaugeParser(DIALECTS[name]).feed(stream)
    p = GaugeParser(DIALECTS[name])
    values, replies, i = [], 0, 0
    for n in cuts * 20:
        got = p.feed(stream[i : i + n])
        values += got.values_n
        replies += got.replies
        i += n
    got = p.feed(stream[i:])
    assert values + got.values_n == whole.values_n
    assert replies + got.replies == whole.replies


@given(st.binary(max_size=400), st.sampled_from(list(DIALECTS)))
def test_random_bytes_never_raise_and_never_invent_replies(data: bytes, name: str) -> None:
    p = GaugeParser(DIALECTS[name])
    got = p.feed(data)
    terminators = data.count(b"\r") + data.count(b"\n")
    assert got.replies <= terminators + len(data) // MAX_REPLY + 1
    assert all(abs(v) < float("inf") for v in got.values_n)


@given(
    st.floats(-1e4, 1e4, allow_nan=False).map(lambda v: round(v, 3)),
    st.sampled_from(sorted(DEVICE_UNITS)),
    st.sampled_from(["{v} {u}", "{v}{u}", "{v:+}{u}"]),
)
def test_a_formatted_reading_round_trips(value: float, unit: str, fmt: str) -> None:
    got = GaugeParser(GAUGE).feed(fmt.format(v=value, u=unit).encode() + b"\r\n")
    assert got.values_n == pytest.approx([value * DEVICE_UNITS[unit][1]])


# -- specs -------------------------------------------------------------------------------------
def test_specs_pick_the_dialect_port_and_options() -> None:
    spec = parse_gauge_spec("mark10:COM4")
    assert spec.dialect.name == "mark10" and spec.port == "COM4" and spec.baud == 115200
    spec = parse_gauge_spec("dillon:/dev/ttyUSB0?baud=2400&mode=stream&compression=negative")
    assert (spec.port, spec.baud, spec.stream, spec.compression_sign) == (
        "/dev/ttyUSB0",
        2400,
        True,
        -1.0,
    )
    spec = parse_gauge_spec("gauge:COM5?request=D&zero=Z&pipeline=2&unit=lbF")
    assert spec.dialect.requests == (b"D\r",) and spec.dialect.zero == b"Z\r"
    assert spec.dialect.pipeline == 2 and spec.unit == "lbf" and not spec.stream
    assert parse_gauge_spec("gauge:COM5").stream  # no request: it streams
    assert parse_gauge_spec("dillon:COM1?zero=^E&eol=none").dialect.zero == b"\x05"
    assert parse_gauge_spec("andilog:socket://localhost:7777").port == "socket://localhost:7777"


def test_only_known_prefixes_are_gauges() -> None:
    assert is_gauge_spec("MARK10:COM4") and is_gauge_spec("andilog:/dev/ttyUSB1")
    for other in ("sim", "COM3", "C:\\traces\\a.csv", "socket://h:1", "/dev/ttyACM0"):
        assert not is_gauge_spec(other)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("mark10:", "names no port"),
        ("mark10:COM4?baud=fast", "not a whole number"),
        ("mark10:COM4?baud=10", "out of range"),
        ("mark10:COM4?unit=furlong", "not a force unit"),
        ("mark10:COM4?colour=red", "unknown gauge option 'colour'"),
        ("mark10:COM4?compression=up", "compression="),
        ("mark10:COM4?mode=burst", "mode="),
        ("gauge:COM4?request=\u00e9", "ASCII"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_gauge_spec(spec)
