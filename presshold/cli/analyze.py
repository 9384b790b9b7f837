"""``presshold analyze TRACE…``: holds, alerts and technique metrics of recorded traces.

Runs the very pipeline the live server runs (``presshold.signal.analyze``), so the answers match
what the therapist saw live.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # heavy imports stay in the handlers: --help must be instant
    from presshold.signal import HoldParams


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this module's subcommands to the presshold parser."""
    from presshold.cli import options

    p = sub.add_parser(
        "analyze",
        help="holds, alerts and metrics of recorded traces (CSV, Parquet, Serial Plotter logs)",
        description="Analyse traces with the live hold/alert rules. One file: a readable report "
        "(or --json). Several files or folders (searched for .csv and .parquet), or --table / "
        "--holds: one table, a row per trace or per hold, as CSV (or a JSON array with --json). "
        "Without --target, each file's own settings are used (the settings columns of a "
        "PressHold export, switching where the session's settings changed).",
    )
    p.add_argument("traces", type=Path, nargs="+", metavar="TRACE", help="files or folders")
    p.add_argument(
        "--target",
        type=options.target,
        default=None,
        help="target force: 30, 30N, 3kgf or 6.7lbf (default: each file's own settings; "
        "--tolerance, --hold, --grace and --min-hold apply with --target)",
    )
    p.add_argument(
        "--tolerance",
        type=options.tolerance,
        default="10%",
        help="band half-width: 10%% or 3N (default 10%%)",
    )
    p.add_argument("--hold", type=options.hold, default="30", help="hold time, s (default 30)")
    p.add_argument(
        "--grace", type=options.grace, default="0.5", help="seconds out of band before it counts"
    )
    p.add_argument(
        "--min-hold", type=options.min_hold, default="1", help="shortest stretch that is a hold, s"
    )
    p.add_argument(
        "--rate",
        type=options.rate,
        default=None,
        help="nominal sample rate in Hz (default: estimated; needed for Serial Plotter logs "
        "without times)",
    )
    p.add_argument("--json", action="store_true", help="JSON instead of text/CSV")
    p.add_argument("--table", action="store_true", help="a table even for one file")
    p.add_argument("--holds", action="store_true", help="table with one row per hold")
    p.add_argument("-o", "--output", type=Path, default=None, help="file (default: stdout)")
    p.set_defaults(handler=_analyze)


def _analyze(args: argparse.Namespace) -> int:
    from presshold.cli.options import band
    from presshold.signal import HoldParams

    params = None
    if args.target is not None:
        params = HoldParams(
            args.target,
            band(args.target, args.tolerance),
            args.hold,
            grace_s=args.grace,
            min_hold_s=args.min_hold,
        )
    rate = args.rate
    table = args.table or args.holds or len(args.traces) > 1 or args.traces[0].is_dir()
    with _output(args.output) as out:
        try:
            if table:
                from presshold.cli.analyze_batch import run_table

                return run_table(args.traces, params, rate, args.holds, args.json, out)
            _report(args, params, rate, out)
            out.flush()
        except BrokenPipeError:  # `… | head`: the reader left; not an error worth a traceback
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


@contextlib.contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    """stdout, or a file written in full under a temporary name and then renamed: an error or
    Ctrl-C half-way leaves no half table, and never deletes a file that was there before."""
    from presshold.errors import PressHoldError

    if path is None:
        yield sys.stdout
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fh = open(tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise PressHoldError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with fh:
            yield fh
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _report(
    args: argparse.Namespace, params: HoldParams | None, rate: float | None, out: TextIO
) -> None:
    """The one-file report: the readable table, or one JSON object."""
    from presshold.errors import PressHoldError
    from presshold.signal import analyze
    from presshold.traceio.read import read_trace, trace_settings

    path = args.traces[0]
    trace = read_trace(path, rate_hz=rate, settings=params is None)
    params, changes = trace_settings(trace, params, str(path))
    try:
        a = analyze(trace.t_s, trace.force_n, params, rate, changes=changes)
    except ValueError as exc:
        raise PressHoldError(f"{path}: cannot analyse: {exc}") from None
    if args.json:
        doc = {"file": str(path), "params": _params(params), **a.to_dict()}
        if changes:
            doc["settings_changes"] = [
                {"t_s": float(trace.t_s[i]), **_params(p)} for i, p in changes
            ]
        json.dump(doc, out, indent=2)
        out.write("\n")
    else:
        with contextlib.redirect_stdout(out):
            _print_table(path, params, a, trace.t_s)
            if changes:
                print(f"settings changed {len(changes)} time(s) during the trace (as recorded)")


def _params(params) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {
        "target_n": params.target_n,
        "tolerance_n": params.tolerance_n,
        "band_n": list(params.band),
        "hold_s": params.hold_s,
        "grace_s": params.grace_s,
        "min_hold_s": params.min_hold_s,
    }


def _num(v: float | None, fmt: str) -> str:
    return "—" if v is None else format(v, fmt)


def _print_table(path: Path, params, a, t) -> None:  # type: ignore[no-untyped-def]
    lo, hi = params.band
    rate = f"{a.sample_rate_hz:.0f} Hz" if a.sample_rate_hz else "unknown rate"
    print(f"{path}: {t.size:,} samples, {t[-1] - t[0]:.1f} s, {rate}")
    print(
        f"target {params.target_n:.1f} N, band {lo:.1f}–{hi:.1f} N, hold {params.hold_s:g} s, "
        f"grace {params.grace_s:g} s, min hold {params.min_hold_s:g} s"
    )
    print()
    if a.holds:
        cols = (
            f"{'#':>3} {'start s':>9} {'end s':>9} {'dur s':>7} {'done':>5} {'mean N':>7} "
            f"{'SD N':>6} {'CV':>6} {'RMS N':>6} {'peak N':>7} {'to band s':>10} "
            f"{'rise N/s':>9} {'alerts':>7}  ended by"
        )
        print("holds")
        print(cols)
        for i, h in enumerate(a.holds, 1):
            print(
                f"{i:>3} {h.start_s:>9.2f} {h.end_s:>9.2f} {h.duration_s:>7.1f} "
                f"{'yes' if h.completed else 'no':>5} {h.mean_n:>7.2f} {h.sd_n:>6.2f} "
                f"{h.cv:>6.3f} {h.rms_error_n:>6.2f} {h.peak_n:>7.2f} "
                f"{_num(h.time_to_band_s, '.2f'):>10} {_num(h.rise_rate_n_per_s, '.1f'):>9} "
                f"{h.alerts:>7}  {h.end_reason.replace('_', ' ')}"
            )
    else:
        print("holds: none")
    print()
    if a.alerts:
        print("alerts")
        print(f"{'#':>3} {'kind':<5} {'start s':>9} {'end s':>9} {'dur s':>7}")
        for i, al in enumerate(a.alerts, 1):
            dur = None if al.end_s is None else al.end_s - al.start_s
            end = _num(al.end_s, ".2f")
            print(f"{i:>3} {al.kind:<5} {al.start_s:>9.2f} {end:>9} {_num(dur, '.1f'):>7}")
    else:
        print("alerts: none")
    print()
    print(f"summary: {a.summary.text()}")
