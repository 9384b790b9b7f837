"""``presshold analyze TRACE.csv``: offline hold metrics with the live pipeline."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this module's subcommands to the presshold parser."""
    p = sub.add_parser("analyze", help="hold metrics for a recorded CSV trace")
    p.add_argument("trace", type=Path, help="CSV with t_s and force_n|force_kgf|force_lbf")
    p.add_argument("--target", required=True, help="target force, e.g. 30N or 3kgf")
    p.add_argument("--tolerance", default="10%", help="band half-width, e.g. 10%% or 3N")
    p.add_argument("--hold", type=float, default=30.0, help="hold time in seconds")
    p.add_argument("--grace", type=float, default=0.5, help="seconds out of band before an alert")
    p.add_argument("--rate", type=float, default=None, help="nominal sample rate in Hz")
    p.add_argument("--json", action="store_true", help="print the full analysis as JSON")
    p.set_defaults(handler=_analyze)


def _analyze(args: argparse.Namespace) -> int:
    from presshold.signal import HoldParams, analyze, parse_force, parse_tolerance
    from presshold.traces import read_trace

    target = parse_force(args.target)
    params = HoldParams(target, parse_tolerance(args.tolerance, target), args.hold, args.grace)
    t, f = read_trace(args.trace)
    a = analyze(t, f, params, args.rate)
    if args.json:
        print(json.dumps(a.to_dict(), indent=2))
        return 0
    s = a.summary
    print(f"{t.size} samples, {t[-1] - t[0]:.1f} s, ~{a.sample_rate_hz or 0:.0f} Hz")
    print(f"presses {s.presses}  holds {s.holds}  completed {s.holds_completed}  alerts {s.alerts}")
    for i, h in enumerate(a.holds, 1):
        print(
            f"hold {i}: {h.start_s:.2f}-{h.end_s:.2f} s  {h.duration_s:.1f} s  "
            f"mean {h.mean_n:.1f} N  cv {h.cv:.3f}  rms err {h.rms_error_n:.2f} N  "
            f"{'completed' if h.completed else 'short'}  alerts {h.alerts}"
        )
    return 0
