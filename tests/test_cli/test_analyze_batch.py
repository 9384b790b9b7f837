"""``presshold analyze`` over many traces: folders, formats, one table, a progress bar on a TTY."""

from __future__ import annotations

import csv
import io
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from presshold.cli import main

RUN = [sys.executable, "-m", "presshold", "analyze"]


def _profile(rate: float = 80.0, seconds: float = 16.0) -> tuple[list[float], list[float]]:
    t = np.arange(0, seconds, 1 / rate)
    f = np.interp(t, [0, 2, 10, 10.2, 12, 12.2, 14, 15, 16], [0, 30, 30, 40, 40, 30, 30, 0, 0])
    return t.tolist(), f.tolist()


def _folder(root: Path) -> Path:
    """Three good traces in three dialects, one bad, one unrelated file."""
    t, f = _profile()
    (root / "sub").mkdir(parents=True)
    rows = "".join(f"{a!r},{b!r}\n" for a, b in zip(t, f, strict=True))
    (root / "a.csv").write_text(f"t_s,force_n\n{rows}")
    ms = "".join(f"{round(a * 1000)},{b / 9.80665!r}\n" for a, b in zip(t, f, strict=True))
    (root / "sub" / "b.csv").write_text(f"millis,force_kgf\n{ms}")
    pq.write_table(pa.table({"t_s": t, "force_n": f}), root / "sub" / "c.parquet")
    (root / "bad.csv").write_text("t_s,force_n\n0,1\n0.1,oops\n")
    (root / "readme.txt").write_text("not a trace")
    return root


def _table(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_folder_becomes_one_table_with_a_row_per_trace(tmp_path: Path, capsys) -> None:
    root = _folder(tmp_path / "traces")
    code = main(["analyze", str(root), "--target", "30", "--tolerance", "3N", "--hold", "5"])
    out, err = capsys.readouterr()
    assert code == 1  # one trace failed: said, and its row kept
    rows = _table(out)
    assert [Path(r["file"]).name for r in rows] == ["a.csv", "bad.csv", "b.csv", "c.parquet"]
    good = [r for r in rows if not r["error"]]
    assert len(good) == 3 and {r["holds_completed"] for r in good} == {"1"}
    assert {r["format"] for r in good} == {"csv", "parquet"}
    assert {round(float(r["band_lo_n"]), 6) for r in good} == {27.0}
    bad = next(r for r in rows if r["error"])
    assert "bad.csv:3" in bad["error"] and "not a number" in bad["error"]
    assert "1 of 4 traces failed" in err and "Traceback" not in err


def test_holds_table_as_json(tmp_path: Path, capsys) -> None:
    root = _folder(tmp_path / "traces")
    (root / "bad.csv").unlink()
    code = main(["analyze", str(root), "--target", "30N", "--tolerance", "3N", "--hold", "5",
                 "--holds", "--json"])  # fmt: skip
    out, _ = capsys.readouterr()
    assert code == 0
    holds = json.loads(out)
    assert len(holds) == 6 and {h["hold"] for h in holds} == {1, 2}
    assert all(h["completed"] == (h["hold"] == 1) for h in holds)
    assert {Path(h["file"]).name for h in holds} == {"a.csv", "b.csv", "c.parquet"}


def test_file_names_cannot_inject_formulas(tmp_path: Path, capsys) -> None:
    t, f = _profile()
    evil = tmp_path / "=HYPERLINK(1).csv"
    evil.write_text("t_s,force_n\n" + "".join(f"{a},{b}\n" for a, b in zip(t, f, strict=True)))
    assert main(["analyze", str(evil), "--table", "--target", "30"]) == 0
    out = capsys.readouterr().out
    row = _table(out)[0]
    assert row["file"].startswith("'") or "/=" not in row["file"][:1]
    assert out.splitlines()[1].startswith('"')  # the file name is a quoted text cell


def test_serial_plotter_logs_and_two_column_files(tmp_path: Path, capsys) -> None:
    t, f = _profile()
    v1 = tmp_path / "device.log"  # what a PressHold sketch sent: hello, then t_us readings
    v1.write_text(
        "# presshold 1 sensor=probe rate=80 unit=N\n"
        + "".join(
            f"t_us:{round(a * 1e6) + 5000},force_n:{b:.3f}\n" for a, b in zip(t, f, strict=True)
        )
    )
    plotter = tmp_path / "plotter.txt"  # Serial Plotter lines with no clock: needs the rate
    plotter.write_text("".join(f"force:{b:.3f}\tbaseline:0\n" for b in f))
    args = ["--target", "30", "--tolerance", "3N", "--hold", "5", "--json"]
    assert main(["analyze", str(v1), *args]) == 0
    assert json.loads(capsys.readouterr().out)["holds_completed"] == 1
    assert main(["analyze", str(plotter), *args]) == 2
    assert "give the sample rate" in capsys.readouterr().err
    assert main(["analyze", str(plotter), *args, "--rate", "80"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["holds_completed"] == 1 and d["sample_rate_hz"] == pytest.approx(80.0)
    garbage = tmp_path / "noise.log"
    garbage.write_text("force:1\nforce:2\n\xff\xfe broken\nforce:3\n", encoding="latin-1")
    assert main(["analyze", str(garbage), *args, "--rate", "80"]) == 2
    assert "noise.log:3:" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal needs POSIX")
def test_progress_bar_on_a_terminal_and_quiet_when_piped(tmp_path: Path) -> None:
    root = _folder(tmp_path / "traces")
    args = [*RUN, str(root), "--target", "30", "-o", str(tmp_path / "out.csv")]
    piped = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert (
        piped.returncode == 1 and piped.stderr.strip() == "presshold analyze: 1 of 4 traces failed"
    )
    import fcntl
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a real size
    try:
        proc = subprocess.Popen(args, stderr=slave, stdout=subprocess.DEVNULL)
        os.close(slave)
        chunks = []
        while True:  # read while it runs: a full pty buffer would block the child
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(60)
    finally:
        os.close(master)
    seen = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 1
    assert "/4 [" in seen and "trace" in seen  # tqdm's counter (of 4) and unit
    table = _table((tmp_path / "out.csv").read_text())
    assert len(table) == 4


def test_exports_with_settings_need_no_target(tmp_path: Path, capsys) -> None:
    t, f = _profile()
    path = tmp_path / "s.csv"
    cols = "t_s,force_n,target_n,band_lo_n,band_hi_n,hold_s,grace_s,min_hold_s"
    path.write_text(
        cols + "\n" + "".join(f"{a},{b},30,27,33,5,0.5,1\n" for a, b in zip(t, f, strict=True))
    )
    assert main(["analyze", str(path), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["params"]["band_n"] == [27.0, 33.0] and d["holds_completed"] == 1
    bare = tmp_path / "bare.csv"
    bare.write_text("t_s,force_n\n0,1\n0.1,2\n")
    assert main(["analyze", str(bare)]) == 2
    assert "give --target" in capsys.readouterr().err
