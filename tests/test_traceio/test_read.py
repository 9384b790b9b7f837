"""Reading traces: the dialects accepted, and errors that name the line or column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from presshold.errors import TraceFormatError
from presshold.traceio.read import read_trace, trace_settings


def test_two_column_files_with_clock_units(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("\ufeffTime_ms,Load\n1000,1.5\n1010,2.5\n1020,3.5\n")
    tr = read_trace(p)
    assert tr.kind == "csv" and tr.t_s.tolist() == pytest.approx([1.0, 1.01, 1.02])
    assert tr.force_n.tolist() == [1.5, 2.5, 3.5]
    p.write_text("micros,force_lbf,note\n0,1,a\n500,1,b\n")
    tr = read_trace(p)
    assert tr.t_s.tolist() == [0.0, 0.0005] and tr.force_n[0] == pytest.approx(4.44822)


def test_protocol_log_with_monitor_timestamps_and_units(tmp_path: Path) -> None:
    p = tmp_path / "monitor.txt"
    p.write_text(
        "12:00:00.000 -> # presshold 1 sensor=probe rate=80 unit=kgf\n"
        "12:00:00.010 -> t_us:1000,force_n:1.0\n"
        "12:00:00.020 -> t_us:13500,force_n:2.0\n"
        "12:00:00.030 -> # hx711 warming up\n"
    )
    tr = read_trace(p)
    assert tr.kind == "serial-plotter" and tr.sensor == "probe"
    assert tr.t_s.tolist() == [0.0, 0.0125]
    assert tr.force_n.tolist() == pytest.approx([9.80665, 19.6133])  # unit=kgf from the hello
    assert tr.meta["device_messages"] == ["hx711 warming up"]


def test_raw_counts_are_refused(tmp_path: Path) -> None:
    p = tmp_path / "raw.log"
    p.write_text(
        "# presshold 1 sensor=hx rate=80 unit=raw\nt_us:0,raw:84000\nt_us:12500,raw:84010\n"
    )
    with pytest.raises(TraceFormatError, match="raw sensor counts"):
        read_trace(p)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("t_s,force_n\n0,1\n1,nan\n", "raw.csv:3: the force is not a finite number"),
        ("t_s,force_n\n0,1\n1,2\n0.5,3\n", "raw.csv:4: t_s goes backwards"),
        ("t_s,force_n\n0,1\n1\n", "raw.csv:3: expected at least 2 columns"),
        ("force:1\nforce:2\n" + "9" * 200 + "\n", "raw.csv:3: line too long"),
    ],
)
def test_errors_name_the_line(tmp_path: Path, content: str, message: str) -> None:
    p = tmp_path / "raw.csv"
    p.write_text(content)
    with pytest.raises(TraceFormatError) as err:
        read_trace(p, rate_hz=80)
    assert str(err.value).startswith(str(p) + message.removeprefix("raw.csv"))


def test_the_fast_and_the_careful_reader_agree(tmp_path: Path) -> None:
    """A comment line at the end makes pyarrow give up; NumPy's reader takes over."""
    t = np.arange(1000) / 80.0
    body = "".join(f"{a!r},{b!r},x\n" for a, b in zip(t.tolist(), np.sin(t).tolist(), strict=True))
    fast, careful = tmp_path / "f.csv", tmp_path / "c.csv"
    fast.write_text("t_s,force_n,s\n" + body)
    careful.write_text("t_s,force_n,s\n" + body + "# the end\n")
    a, b = read_trace(fast), read_trace(careful)
    assert np.array_equal(a.t_s, b.t_s) and np.array_equal(a.force_n, b.force_n)
    assert np.array_equal(a.t_s, t)


def test_an_older_export_with_colon_metadata_keeps_its_settings(tmp_path: Path) -> None:
    """Exports made before the settings columns: ``# key: value`` rows and six columns."""
    p = tmp_path / "v1.csv"
    p.write_text(
        "# presshold session export (CSV, one row per recorded sample)\n"
        "# label: neck\n"
        '# settings: {"target_n": 25.0, "tolerance_n": 2.5, "hold_s": 20.0}\n'
        "t_s,force_n,raw,force_display_n,force_detect_n,state\n"
        "0.000000,1.0000,84000,1.0000,1.0000,idle\n0.012500,2.0000,84001,2.0000,2.0000,idle\n"
    )
    tr = read_trace(p)
    assert tr.settings is None and tr.meta["label"] == "neck"
    params, changes = trace_settings(tr, None, "v1.csv")
    assert (params.target_n, params.tolerance_n, params.hold_s, changes) == (25.0, 2.5, 20.0, [])


def test_a_clock_column_that_names_no_unit_gets_it_from_its_steps(tmp_path: Path) -> None:
    """``Times,Measures`` / ``12345,2.57``: a sketch printing millis() and a value."""
    p = tmp_path / "sketch.csv"
    p.write_text("Times,Measures\n12345,2.57\n12357,2.60\n12370,2.61\n")
    tr = read_trace(p)
    assert tr.t_s.tolist() == pytest.approx([12.345, 12.357, 12.370])
    assert tr.force_n.tolist() == [2.57, 2.60, 2.61]
    p.write_text("time,force_n\n0.0125,1\n0.025,2\n")
    assert read_trace(p).t_s.tolist() == [0.0125, 0.025]  # already seconds
    p.write_text("timestamp,force_n\n1000000,1\n1012500,2\n")
    assert read_trace(p).t_s.tolist() == pytest.approx([1.0, 1.0125])  # micros()
