"""The ``presshold`` command: one entry point, one module per group of subcommands.

Each module exposes ``register(subparsers)``; heavy imports (NumPy, FastAPI, pyserial) happen
inside the handlers so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from presshold import __version__
from presshold.errors import PressHoldError


def one_blas_thread() -> None:
    """Ask NumPy's OpenBLAS for one thread, before NumPy loads (a value the user set is kept).

    PressHold's matrix products are small (a few dozen columns, ``presshold.signal.iir``): BLAS
    worker threads cannot speed them up, only wake and spin, and starting the pool costs time at
    import. Measured on a 2-core machine: ~0.1 s of CPU per ``presshold analyze`` process, a
    third of the whole command on a Parquet trace (docs/benchmarks.md)."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def build_parser() -> argparse.ArgumentParser:
    from presshold.cli import analyze, device, migrate, serve, sessions, station

    parser = argparse.ArgumentParser(
        prog="presshold",
        description="Live, measured feedback on sustained manual-therapy pressure.",
    )
    parser.add_argument("--version", action="version", version=f"presshold {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    serve.register(sub)
    device.register(sub)
    analyze.register(sub)
    sessions.register(sub)
    migrate.register(sub)
    station.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    one_blas_thread()
    from presshold.cli.options import join_option_values

    parser = build_parser()
    args = parser.parse_args(join_option_values(sys.argv[1:] if argv is None else argv))
    try:
        return int(args.handler(args) or 0)
    except PressHoldError as exc:
        print(f"presshold {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
