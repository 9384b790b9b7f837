"""``presshold analyze TRACE.csv``: holds, alerts and technique metrics of a recorded trace.

Runs the very pipeline the live server runs (``presshold.signal.analyze``), so the answers match
what the therapist saw live.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this module's subcommands to the presshold parser."""
    from presshold.cli import options

    p = sub.add_parser(
        "analyze",
        help="holds, alerts and metrics of a recorded CSV trace",
        description="Analyse a CSV trace (t_s plus force_n, force_kgf or force_lbf; '#' lines "
        "are comments — the session export format) with the live hold/alert rules.",
    )
    p.add_argument("trace", type=Path, help="CSV with t_s and force_n|force_kgf|force_lbf")
    p.add_argument(
        "--target", type=options.target, required=True, help="target force: 30, 30N, 3kgf, 6.7lbf"
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
    p.add_argument("--rate", type=options.rate, help="nominal sample rate, Hz (default: measured)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(handler=_analyze)


def _analyze(args: argparse.Namespace) -> int:
    from presshold.cli.options import band
    from presshold.signal import HoldParams, analyze
    from presshold.traces import read_trace

    params = HoldParams(
        args.target,
        band(args.target, args.tolerance),
        args.hold,
        grace_s=args.grace,
        min_hold_s=args.min_hold,
    )
    rate = args.rate
    t, f = read_trace(args.trace)
    a = analyze(t, f, params, rate)
    try:
        if args.json:
            json.dump(
                {"file": str(args.trace), "params": _params(params), **a.to_dict()},
                sys.stdout,
                indent=2,
            )
            sys.stdout.write("\n")
        else:
            _print_table(args.trace, params, a, t)
        sys.stdout.flush()
    except BrokenPipeError:  # `… | head`: the reader left; not an error worth a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


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
