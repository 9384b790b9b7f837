"""``presshold analyze`` over many traces: files and folders in, one table out.

One row per trace (``--holds``: per hold), as CSV through the project's one CSV writer
(:mod:`presshold.traceio.csv_safe`) or as a JSON array. A file that cannot be read or analysed
gets a row with its ``error`` (per hold: a message on stderr) and the exit status is 1, so a batch
of thousands does not stop at the first bad file and loses nothing silently. A progress bar (tqdm)
is drawn on stderr when it is a terminal, and nothing when output is piped or redirected.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from presshold.errors import ConfigError, PressHoldError
from presshold.signal import Analysis, HoldParams, analyze
from presshold.traceio.read import Trace, read_trace, trace_settings

FOLDER_SUFFIXES = (".csv", ".parquet", ".pq")

TRACE_COLUMNS = (
    "file",
    "format",
    "samples",
    "duration_s",
    "sample_rate_hz",
    "target_n",
    "band_lo_n",
    "band_hi_n",
    "hold_s",
    "settings_changes",
    "presses",
    "holds",
    "holds_completed",
    "time_in_band_s",
    "in_band_fraction",
    "mean_cv",
    "alerts",
    "alerts_over",
    "alerts_under",
    "glitches",
    "gaps",
    "error",
)
HOLD_COLUMNS = (
    "file",
    "hold",
    "start_s",
    "end_s",
    "duration_s",
    "completed",
    "target_n",
    "mean_n",
    "sd_n",
    "cv",
    "rms_error_n",
    "peak_n",
    "min_n",
    "time_to_band_s",
    "rise_rate_n_per_s",
    "alerts",
    "end_reason",
)


def expand(paths: list[Path]) -> list[Path]:
    """Files as given; folders searched recursively for CSV and Parquet traces, sorted."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in FOLDER_SUFFIXES
            )
            if not found:
                raise ConfigError(f"{p}: no .csv or .parquet traces in this folder")
            out += found
        elif p.exists():
            out.append(p)
        else:
            raise ConfigError(f"{p}: no such file or folder")
    return out


@dataclass
class Result:
    path: Path
    trace: Trace | None
    params: HoldParams | None
    changes: int
    analysis: Analysis | None
    error: str | None


def analyse(
    path: Path, fixed: HoldParams | None, rate_hz: float | None, name: str | None = None
) -> Result:
    """Read and analyse one trace: ``fixed`` settings, or those the file carries."""
    try:
        trace = read_trace(path, rate_hz=rate_hz, name=name, settings=fixed is None)
        params, changes = trace_settings(trace, fixed, name or str(path))
        a = analyze(trace.t_s, trace.force_n, params, rate_hz, changes=changes)
    except PressHoldError as exc:
        return Result(path, None, None, 0, None, str(exc))
    return Result(path, trace, params, len(changes), a, None)


def trace_row(r: Result) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(TRACE_COLUMNS)
    row["file"] = str(r.path)
    row["error"] = r.error
    if r.trace is None or r.analysis is None or r.params is None:
        return row
    s = r.analysis.summary
    lo, hi = r.params.band
    row.update(
        format=r.trace.kind,
        samples=int(r.trace.t_s.size),
        duration_s=float(r.trace.t_s[-1] - r.trace.t_s[0]),
        sample_rate_hz=r.analysis.sample_rate_hz,
        target_n=r.params.target_n,
        band_lo_n=lo,
        band_hi_n=hi,
        hold_s=r.params.hold_s,
        settings_changes=r.changes,
        presses=s.presses,
        holds=s.holds,
        holds_completed=s.holds_completed,
        time_in_band_s=s.time_in_band_s,
        in_band_fraction=s.in_band_fraction,
        mean_cv=s.mean_cv,
        alerts=s.alerts,
        alerts_over=s.alerts_over,
        alerts_under=s.alerts_under,
        glitches=s.glitches,
        gaps=s.gaps,
    )
    return row


def hold_rows(r: Result) -> Iterator[dict[str, Any]]:
    if r.analysis is None:
        return
    for i, h in enumerate(r.analysis.holds, 1):
        d = h.to_dict()
        yield {"file": str(r.path), "hold": i, **{k: d.get(k) for k in HOLD_COLUMNS[2:]}}


def progress(items: list[Path], stream: TextIO) -> Any:
    """tqdm on a terminal, the plain list otherwise (quiet when piped)."""
    if len(items) < 2 or not stream.isatty():
        return items
    from tqdm import tqdm

    return tqdm(items, unit="trace", file=stream, dynamic_ncols=True, leave=False)


def run_table(
    paths: list[Path],
    fixed: HoldParams | None,
    rate_hz: float | None,
    per_hold: bool,
    as_json: bool,
    out: TextIO,
) -> int:
    from presshold.traceio.csv_safe import csv_row

    files = expand(paths)
    columns = HOLD_COLUMNS if per_hold else TRACE_COLUMNS
    rows: list[dict[str, Any]] = []
    failed = 0
    if not as_json:
        out.write(csv_row(columns))
    for path in progress(files, sys.stderr):
        r = analyse(path, fixed, rate_hz)
        if r.error:
            failed += 1
            if per_hold:
                print(f"presshold analyze: {r.error}", file=sys.stderr)
        new = list(hold_rows(r)) if per_hold else [trace_row(r)]
        if as_json:
            rows += new
        else:
            out.writelines(csv_row(row[c] for c in columns) for row in new)
    if as_json:
        json.dump([_plain(row) for row in rows], out, indent=2)
        out.write("\n")
    if failed:
        print(f"presshold analyze: {failed} of {len(files)} traces failed", file=sys.stderr)
    return 1 if failed else 0


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    import math

    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in row.items()}
