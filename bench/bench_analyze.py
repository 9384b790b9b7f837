"""``presshold analyze`` on one hour at 1 kHz vs a bare ``numpy.loadtxt`` + ``sosfilt`` script.

Run: .venv/bin/python bench/bench_analyze.py [--rows 3600000] [--runs 3] [--csv PATH]

Writes (once, then reuses) a 3.6 M-row trace in the server's CSV export format — ``#`` metadata,
``t_s,force_n,raw,force_display_n,force_detect_n,state`` with a text state column — and times,
as fresh processes taking turns in one run, (a) the bare script: import NumPy and SciPy,
``np.loadtxt`` the two columns, one ``sosfilt``; (b) ``python -m presshold analyze FILE --target 30
--hold 30 --json``. Both pay interpreter start-up and imports; the ratio of medians is the figure.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HEADER = "t_s,force_n,raw,force_display_n,force_detect_n,state"
STATES = np.array(["idle", "under", "in_band", "over"])
BARE = """
import sys
import numpy as np
from scipy.signal import butter, sosfilt
d = np.loadtxt(sys.argv[1], delimiter=",", comments="#", skiprows=int(sys.argv[2]), usecols=(0, 1))
y = sosfilt(butter(4, 4.5, fs=1000.0, output="sos"), d[:, 1])
print(d.shape[0], float(y[-1]))
"""


def write_trace(path: Path, rows: int, rate: float = 1000.0) -> int:
    """A realistic hour: a 40 s hold every minute with tremor, drift and noise. Returns the
    number of lines before the first data row."""
    t = np.arange(rows) / rate
    env = np.interp(t % 60, [0, 5, 7, 47, 49, 60], [0, 0, 1, 1, 0, 0])
    rng = np.random.default_rng(0)
    f = env * (30 + 0.6 * np.sin(2 * np.pi * 9 * t) + 1.5 * np.sin(2 * np.pi * t / 13))
    f += rng.normal(0, 0.05, rows)
    raw = np.round(f * 1000 + 8000).astype(int)
    state = STATES[np.clip((f > 15).astype(int) + (f > 27) + (f > 33), 0, 3)]
    meta = [
        "# presshold session export (CSV, one row per recorded sample)",
        "# session_id: 1",
        '# settings: {"target_n": 30.0, "tolerance_n": 3.0, "hold_s": 30.0}',
    ]
    with path.open("w") as fh:
        fh.write("\n".join([*meta, HEADER]) + "\n")
        step = 200_000
        for a in range(0, rows, step):
            cols = (t[a : a + step], f[a : a + step], raw[a : a + step], state[a : a + step])
            fh.write(
                "".join(
                    f"{x:.6f},{y:.4f},{r},{y:.4f},{y:.4f},{s}\n"
                    for x, y, r, s in zip(*(c.tolist() for c in cols), strict=True)
                )
            )
    return len(meta) + 1


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=3_600_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--csv", type=Path, default=None, help="trace to reuse/create")
    args = ap.parse_args()
    path = args.csv or Path(tempfile.gettempdir()) / f"presshold-bench-{args.rows}.csv"
    skip = 4
    if not path.exists():
        print(f"writing {args.rows:,} rows to {path} …", flush=True)
        skip = write_trace(path, args.rows)
    print(f"{path}: {path.stat().st_size / 1e6:.0f} MB")
    bare_cmd = [sys.executable, "-c", BARE, str(path), str(skip)]
    cli_cmd = [sys.executable, "-m", "presshold", "analyze", str(path)]
    cli_cmd += ["--target", "30", "--hold", "30", "--json"]
    bare, cli = [], []
    for i in range(args.runs):  # taking turns, so both see the same machine load
        bare.append(timed(bare_cmd))
        cli.append(timed(cli_cmd))
        print(f"run {i + 1}: bare loadtxt+sosfilt {bare[-1]:.2f} s, analyze {cli[-1]:.2f} s")
    b, c = statistics.median(bare), statistics.median(cli)
    print(f"median: bare {b:.2f} s, analyze {c:.2f} s, ratio {c / b:.2f} (goal <= 1.5)")


if __name__ == "__main__":
    main()
