"""``presshold analyze``: the session export format, units, JSON fields and clear errors."""

import json

import numpy as np
import pytest

from presshold.cli import main
from presshold.signal import FORCE_UNITS, HoldParams

HEADER = "t_s,force_n,raw,force_display_n,force_detect_n,state"


def make_trace(seconds=16.0, rate=80.0):
    """Ramp, 8 s in band, 2 s over (alert), back in band 2 s, release."""
    t = np.arange(0, seconds, 1 / rate)
    f = np.interp(t, [0, 2, 10, 10.2, 12, 12.2, 14, 15, 16], [0, 30, 30, 40, 40, 30, 30, 0, 0])
    return t, f


def write_export(path, t, f, extra=""):
    """The server's CSV export shape: '#' metadata, extra numeric and text columns."""
    rows = "".join(
        f"{a:.6f},{b:.4f},{int(b * 1000)},{b:.4f},{b:.4f},idle\n" for a, b in zip(t, f, strict=True)
    )
    path.write_text(f"# presshold session export\n# session_id: 3\n{HEADER}\n{rows}{extra}")


def run(capsys, *argv):
    try:
        code = main(["analyze", *map(str, argv)])
    except SystemExit as exc:  # argparse rejected a flag's value (exit status 2)
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_json_has_the_issue_fields(tmp_path, capsys):
    p = tmp_path / "a.csv"
    write_export(p, *make_trace())
    code, out, _ = run(capsys, p, "--target", "30N", "--tolerance", "3N", "--hold", "5", "--json")
    assert code == 0
    d = json.loads(out)
    assert d["sample_rate_hz"] == pytest.approx(80.0)
    assert d["presses"] == 1 and d["holds_completed"] == 1
    first = d["holds"][0]
    for key in ("start_s", "end_s", "duration_s", "completed", "mean_n", "cv", "rms_error_n"):
        assert key in first
    assert first["completed"] and first["end_s"] == pytest.approx(10.15, abs=0.1)
    assert [(a["kind"], round(a["start_s"], 1)) for a in d["alerts"]] == [("over", 10.2)]
    assert d["time_in_band_s"] == pytest.approx(sum(h["duration_s"] for h in d["holds"]), abs=0.3)
    assert d["params"]["band_n"] == [27.0, 33.0]


@pytest.mark.parametrize(
    ("target", "tolerance"),
    [("30", "10%"), ("30N", "3N"), ("3.0591486kgf", "10%"), ("6.7443lbf", "3N")],
)
def test_target_and_tolerance_units(tmp_path, capsys, target, tolerance):
    p = tmp_path / "u.csv"
    write_export(p, *make_trace())
    code, out, _ = run(capsys, p, "--target", target, "--tolerance", tolerance, "--json")
    assert code == 0
    d = json.loads(out)
    assert d["params"]["target_n"] == pytest.approx(30.0, abs=0.01)
    assert d["params"]["tolerance_n"] == pytest.approx(3.0, abs=0.01)
    assert len(d["holds"]) == 2


@pytest.mark.parametrize("unit", ["kgf", "lbf"])
def test_force_columns_in_other_units_are_converted(tmp_path, capsys, unit):
    t, f = make_trace()
    rows = "".join(f"{a:.6f},{b / FORCE_UNITS[unit]:.6f}\n" for a, b in zip(t, f, strict=True))
    p = tmp_path / "k.csv"
    p.write_text(f"t_s,force_{unit}\n{rows}")
    code, out, _ = run(capsys, p, "--target", "30N", "--tolerance", "3N", "--json")
    assert code == 0
    assert json.loads(out)["holds"][0]["mean_n"] == pytest.approx(30.0, abs=0.2)


def test_readable_table(tmp_path, capsys):
    p = tmp_path / "t.csv"
    write_export(p, *make_trace())
    code, out, _ = run(
        capsys, p, "--target", "30", "--hold", "5", "--grace", "0.5", "--min-hold", "1"
    )
    assert code == 0
    assert "holds" in out and "alerts" in out and "over" in out
    assert "summary: 1 press, 2 holds (1 completed), 1 alert (1 over, 0 under)" in out


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (f"# only comments\n{HEADER}\n0.0,1,2,3,4,idle\n0.1,oops,2,3,4,idle\n", ":4:"),
        ("# c\nt_s,force_n\n0.0,1\n0.1\n", ":4:"),
        ("# c\nt_s,force_n\n0.0,1\n0.2,1\n0.1,1\n", ":5:"),
        ("# c\nwhen,force_n\n0.0,1\n", ":2:"),
        ("t_s,force_mN\n0.0,1\n", ":1:"),
        ("# nothing here\n", "empty file"),
        ("", "empty file"),
        ("t_s,force_n\n", "no samples"),
    ],
)
def test_bad_input_names_the_line(tmp_path, capsys, content, where):
    p = tmp_path / "bad.csv"
    p.write_text(content)
    code, out, err = run(capsys, p, "--target", "30")
    assert code != 0 and out == ""
    assert where in err and "Traceback" not in err
    assert err.startswith("presshold analyze: error:")


@pytest.mark.parametrize(
    "argv",
    [
        ["--target", "3 stone"],
        ["--target", "30", "--tolerance", "ten"],
        ["--target", "30", "--hold", "-1"],
        ["--target", "30", "--hold", "ten"],
        ["--target", "30", "--rate", "0"],
    ],
)
def test_bad_flags_are_clear_errors(tmp_path, capsys, argv):
    p = tmp_path / "ok.csv"
    write_export(p, *make_trace())
    code, _, err = run(capsys, p, *argv)
    assert code != 0 and "error:" in err and "Traceback" not in err


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    code, _, err = run(capsys, tmp_path / "nope.csv", "--target", "30")
    assert code != 0 and "nope.csv" in err and "Traceback" not in err


def test_quoted_cells_and_crlf_line_ends(tmp_path, capsys):
    t, f = make_trace()
    rows = "".join(f'"{a:.6f}","{b:.4f}"\r\n' for a, b in zip(t, f, strict=True))
    p = tmp_path / "q.csv"
    p.write_text(f'"t_s","force_n"\r\n{rows}', newline="")
    code, out, _ = run(capsys, p, "--target", "30", "--tolerance", "3N", "--hold", "5", "--json")
    assert code == 0 and json.loads(out)["holds_completed"] == 1


PROBE = """
import json, os, sys
from presshold.cli import main
code = main(sys.argv[1:])
heavy = ("scipy", "pyarrow.dataset")
print(json.dumps({"code": code, "loaded": [m for m in heavy if m in sys.modules],
                  "blas": os.environ.get("OPENBLAS_NUM_THREADS")}), file=sys.stderr)
"""


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_analyze_loads_only_what_it_needs(tmp_path, fmt):
    """The start-up cost of a fresh ``presshold analyze`` is most of its time on a Parquet
    trace (docs/benchmarks.md): it must not import SciPy (~1 s of CPU) or pyarrow's dataset
    layer, and it runs NumPy's BLAS on one thread unless told otherwise."""
    import os
    import subprocess
    import sys

    from presshold.traceio import parquet_io
    from presshold.traceio.columns import TraceBlock

    t, f = make_trace()
    if fmt == "csv":
        path = tmp_path / "a.csv"
        write_export(path, t, f)
    else:
        path = tmp_path / "a.parquet"
        state = np.zeros(t.size, np.uint8)
        block = TraceBlock(t, f, f * 1000, f, f, state, HoldParams(30.0, 3.0, 5.0))
        parquet_io.write(path, {"session_id": "x"}, [block])
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    argv = ["analyze", str(path), "--target", "30", "--hold", "5", "--json"]
    for blas, want in ((None, "1"), ("2", "2")):
        run_env = env if blas is None else {**env, "OPENBLAS_NUM_THREADS": blas}
        proc = subprocess.run(
            [sys.executable, "-c", PROBE, *argv],
            capture_output=True,
            text=True,
            env=run_env,
            timeout=60,
            check=False,
        )
        report = json.loads(proc.stderr.strip().splitlines()[-1])
        assert report == {"code": 0, "loaded": [], "blas": want}, proc.stderr
        assert json.loads(proc.stdout)["holds_completed"] == 1
