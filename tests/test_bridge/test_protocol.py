"""The pure parser: framing, hello, wrap, reset, and robustness to arbitrary bytes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from presshold.firmware_bridge.protocol import MAX_LINE, LineParser, parse_hello


def test_hello_and_readings_split_across_feeds() -> None:
    p = LineParser()
    data = b"# presshold 1 sensor=hx711-a rate=80 unit=raw\nt_us:100,raw:12.5\r\nt_us:200,raw:-3\n"
    got = [p.feed(data[i : i + 3]) for i in range(0, len(data), 3)]
    hellos = [h for g in got for h in g.hellos]
    assert hellos[0].sensor == "hx711-a" and hellos[0].rate_hz == 80 and hellos[0].unit == "raw"
    assert [t for g in got for t in g.t_us] == [100, 200]
    assert [v for g in got for v in g.values] == [12.5, -3.0]
    assert p.rejected == {}


def test_partial_first_line_and_reasons_are_counted() -> None:
    p = LineParser()
    out = p.feed(
        b"5,raw:1\nt_us:1,raw:inf\nt_us:x,raw:1\n" + b"9" * (MAX_LINE + 5) + b"\nt_us:9,raw:1\n"
    )
    assert out.t_us == [9]
    assert p.rejected == {"partial": 1, "non_finite": 1, "garbage": 1, "too_long": 1}


def test_micros_wrap_unrolled_and_reset_kept_monotonic() -> None:
    p = LineParser()
    out = p.feed(b"t_us:4294967000,raw:1\nt_us:200,raw:2\n")
    assert out.t_us == [4294967000, 2**32 + 200]
    out = p.feed(b"t_us:100,raw:3\n")  # clock jumped back a little: device reset
    assert out.resets == 1 and out.t_us[0] > 2**32 + 200


def test_non_hello_comment() -> None:
    assert parse_hello("# tare done") is None
    assert LineParser().feed(b"# tare done\n").comments == ["tare done"]


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    p = LineParser()
    p.feed(data)
    p.feed(b"\n")


@given(st.lists(st.binary(max_size=40).filter(lambda b: b"\n" not in b), min_size=1, max_size=30))
def test_valid_lines_survive_interleaved_garbage(garbage: list[bytes]) -> None:
    p = LineParser()
    stream = b"# presshold 1 sensor=s rate=10 unit=N\n"
    for i, g in enumerate(garbage):
        stream += g + b"\n" + f"t_us:{(i + 1) * 1000},force_n:{i}\n".encode()
    out = p.feed(stream)
    assert out.t_us == [(i + 1) * 1000 for i in range(len(garbage))]
    assert out.values == [float(i) for i in range(len(garbage))]


def test_serial_plotter_lines_are_accepted_on_arrival() -> None:
    p = LineParser()
    out = p.feed(b"# hi\nforce:1.5 other:2\n3.25\t7\nload:4,x:1\n")
    assert out.arrival_values == [1.5, 3.25, 4.0] and out.t_us == []
    assert p.feed(b"no numbers here\n").arrival_values == []
    assert p.rejected == {"garbage": 1}
