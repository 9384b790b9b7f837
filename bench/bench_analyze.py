"""``presshold analyze`` of one hour at 1 kHz, as CSV and as Parquet, against a bare
``numpy.loadtxt`` + ``sosfilt`` script.

Run: .venv/bin/python bench/bench_analyze.py [--rows 3600000] [--runs 3] [--dir DIR]
     [--before DIR]  (DIR: an earlier revision's package, ``git archive REV presshold | tar -x
     -C DIR``; its ``presshold analyze`` is timed in the same turns, side by side)

Writes (once, then reuses) a 3.6 M-row session trace with PressHold's own export writers — the
CSV (``#`` metadata, 12 columns with a text ``state`` and the settings columns) and the same
trace as Parquet — and times, as fresh processes taking turns in one run so all see the same
machine load: (a) the bare script: import NumPy and SciPy, ``np.loadtxt`` the two columns, one
``sosfilt`` (the floor issue 16 measures against); (b) ``python -m presshold analyze FILE.csv
--target 30 --hold 30 --json`` (pyarrow's multi-threaded CSV reader); (c) the same on the
Parquet file. All pay interpreter start-up and imports; the ratios of medians are the figures,
of wall time and of CPU time (the work done, steadier when other jobs share the cores). In the
same turns, the start-up floors: a process that only imports NumPy and pyarrow.parquet (what
``analyze`` of Parquet cannot do without), and one importing NumPy and ``scipy.signal`` (what
it paid before it stopped importing SciPy). Then, in this process, where the time goes: each
way of reading, and the analysis pipeline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENV = dict(os.environ)  # the children's environment, as the caller gave it
# in this process, as `presshold analyze` runs (presshold.cli.one_blas_thread), before NumPy loads
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

BARE = """
import sys
import numpy as np
from scipy.signal import butter, sosfilt
d = np.loadtxt(sys.argv[1], delimiter=",", comments="#", skiprows=int(sys.argv[2]), usecols=(0, 1))
y = sosfilt(butter(4, 4.5, fs=1000.0, output="sos"), d[:, 1])
print(d.shape[0], float(y[-1]))
"""


BEFORE = """
import sys
# an earlier revision's package, ahead of this checkout (an editable install's finder too)
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in str(getattr(f, "__module__", f))]
sys.path.insert(0, sys.argv.pop(1))
from presshold.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def blocks(rows: int, rate: float = 1000.0, step: int = 200_000):  # type: ignore[no-untyped-def]
    """A realistic hour: a 40 s hold every minute with tremor, drift and noise."""
    from presshold.signal import HoldParams
    from presshold.traceio.columns import TraceBlock

    params = HoldParams(30.0, 3.0, 30.0)
    rng = np.random.default_rng(0)
    for a in range(0, rows, step):
        t = np.arange(a, min(a + step, rows)) / rate
        env = np.interp(t % 60, [0, 5, 7, 47, 49, 60], [0, 0, 1, 1, 0, 0])
        f = env * (30 + 0.6 * np.sin(2 * np.pi * 9 * t) + 1.5 * np.sin(2 * np.pi * t / 13))
        f = f + rng.normal(0, 0.05, t.size)
        state = np.clip((f > 15).astype(int) + (f > 27) + (f > 33), 0, 3).astype(np.uint8)
        yield TraceBlock(t, f, np.round(f * 1000 + 8000), f, f, state, params)


def write_files(folder: Path, rows: int) -> tuple[Path, Path, int]:
    """(CSV, Parquet, lines before the first CSV data row), written once."""
    from presshold.traceio import parquet_io, session_csv

    csv_path, pq_path = folder / f"bench-{rows}.csv", folder / f"bench-{rows}.parquet"
    meta = {
        "id": "bench",
        "started_at": "2026-11-29T10:00:00Z",
        "settings": {"target_n": 30.0, "tolerance_n": 3.0, "hold_s": 30.0},
        "samples": rows,
    }
    if not csv_path.exists():
        print(f"writing {rows:,} rows to {csv_path} …", flush=True)
        with csv_path.open("w", encoding="utf-8") as fh:
            fh.writelines(session_csv.csv_lines(meta, blocks(rows)))
    if not pq_path.exists():
        parquet_io.write(pq_path, session_csv.metadata(meta), blocks(rows))
    with csv_path.open() as fh:
        skip = next(i for i, line in enumerate(fh, 1) if not line.startswith("#"))
    return csv_path, pq_path, skip


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child: user + system, all its threads). CPU time is the
    work done, much less disturbed than wall time when other jobs share the cores."""
    before = _children_cpu()
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - t0, _children_cpu() - before


def _children_cpu() -> float:
    try:
        import resource
    except ImportError:  # Windows: no CPU figure
        return float("nan")
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=3_600_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    ap.add_argument("--before", type=Path, default=None, help="an earlier revision's tree")
    args = ap.parse_args()
    csv_path, pq_path, skip = write_files(args.dir, args.rows)
    for p in (csv_path, pq_path):
        print(f"{p}: {p.stat().st_size / 1e6:.0f} MB")
    analyze = [sys.executable, "-m", "presshold", "analyze"]
    opts = ["--target", "30", "--hold", "30", "--json"]
    cmds = {
        "bare loadtxt+sosfilt": [sys.executable, "-c", BARE, str(csv_path), str(skip)],
        "analyze CSV": [*analyze, str(csv_path), *opts],
        "analyze Parquet": [*analyze, str(pq_path), *opts],
        "import numpy+pyarrow.parquet": [sys.executable, "-c", "import numpy, pyarrow.parquet"],
        "import numpy+scipy.signal": [sys.executable, "-c", "import numpy, scipy.signal"],
    }
    if args.before:
        old = [sys.executable, "-c", BEFORE, str(args.before.resolve()), "analyze"]
        cmds["before: analyze CSV"] = [*old, str(csv_path), *opts]
        cmds["before: analyze Parquet"] = [*old, str(pq_path), *opts]
    wall: dict[str, list[float]] = {k: [] for k in cmds}
    cpu: dict[str, list[float]] = {k: [] for k in cmds}
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    for i in range(args.runs):  # taking turns, so all see the same machine load
        for name, cmd in cmds.items():
            w, c = timed(cmd)
            wall[name].append(w)
            cpu[name].append(c)
        print(
            f"run {i + 1}: "
            + ", ".join(f"{k} {wall[k][-1]:.2f} s ({cpu[k][-1]:.2f} s CPU)" for k in cmds)
        )
    in_process(csv_path, pq_path, skip, args.runs)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    for label, table in (("wall", wall), ("CPU", cpu)):
        med = {k: statistics.median(v) for k, v in table.items()}
        bare = med["bare loadtxt+sosfilt"]
        print(
            f"median {label}: bare {bare:.2f} s, CSV {med['analyze CSV']:.2f} s "
            f"(ratio {med['analyze CSV'] / bare:.2f}, goal <= 0.5), Parquet "
            f"{med['analyze Parquet']:.2f} s (ratio {med['analyze Parquet'] / bare:.2f}, "
            "goal <= 0.1); start-up only: numpy+pyarrow.parquet "
            f"{med['import numpy+pyarrow.parquet']:.2f} s "
            f"(ratio {med['import numpy+pyarrow.parquet'] / bare:.2f}), numpy+scipy.signal "
            f"{med['import numpy+scipy.signal']:.2f} s "
            f"(ratio {med['import numpy+scipy.signal'] / bare:.2f})"
        )
        if args.before:
            print(
                f"  before: CSV {med['before: analyze CSV']:.2f} s "
                f"(ratio {med['before: analyze CSV'] / bare:.2f}), Parquet "
                f"{med['before: analyze Parquet']:.2f} s "
                f"(ratio {med['before: analyze Parquet'] / bare:.2f})"
            )


def in_process(csv_path: Path, pq_path: Path, skip: int, runs: int) -> None:
    """Where the time goes, in this process (imports paid already): reading each way, and the
    analysis pipeline that all of them then run. Best of ``runs``."""
    from presshold.signal import HoldParams, analyze
    from presshold.traceio.read import read_trace

    def best(fn) -> float:  # type: ignore[no-untyped-def]
        out = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
        return min(out)

    loadtxt = best(
        lambda: np.loadtxt(csv_path, delimiter=",", comments="#", skiprows=skip, usecols=(0, 1))
    )
    read_csv = best(lambda: read_trace(csv_path, settings=False))
    read_pq = best(lambda: read_trace(pq_path, settings=False))
    trace = read_trace(pq_path, settings=False)
    params = HoldParams(30.0, 3.0, 30.0)
    pipeline = best(lambda: analyze(trace.t_s, trace.force_n, params))
    keep = best(lambda: analyze(trace.t_s, trace.force_n, params, keep_samples=True))
    print(
        f"in-process, best of {runs}: np.loadtxt {loadtxt:.2f} s; read_trace CSV {read_csv:.2f} s "
        f"({read_csv / loadtxt:.2f}x); read_trace Parquet {read_pq:.3f} s "
        f"({read_pq / loadtxt:.3f}x); analyze() pipeline {pipeline:.3f} s "
        f"(with keep_samples, display filter included: {keep:.3f} s)"
    )


if __name__ == "__main__":
    main()
