"""The ``presshold`` command: one entry point, one module per group of subcommands.

Each module exposes ``register(subparsers)``; heavy imports (NumPy, FastAPI, pyserial) happen
inside the handlers so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from presshold import __version__
from presshold.errors import PressHoldError


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
