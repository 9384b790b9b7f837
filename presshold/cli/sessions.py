"""``presshold sessions`` (list recorded sessions) and ``presshold export`` (CSV/JSON to a file)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

from presshold.errors import PressHoldError, StorageError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``sessions`` and ``export``; both read the store directly (no server needed)."""
    data_help = "folder of the session store (default: this user's PressHold data folder)"
    p = sub.add_parser(
        "sessions",
        help="list recorded sessions",
        description="List recorded sessions, newest first: id, start, duration, holds "
        "completed of holds, alerts and label. No server needed; use an id with "
        "'presshold export'.",
    )
    p.add_argument("--data-dir", type=Path, default=None, help=data_help)
    p.set_defaults(handler=_list)
    e = sub.add_parser(
        "export",
        help="export a session as CSV (every sample) or JSON",
        description="Write one session: CSV with every sample (raw, filtered and state "
        "columns, '#' metadata lines) or JSON with its events, marks and hold analysis.",
    )
    e.add_argument("session_id", help="the id 'presshold sessions' lists")
    e.add_argument("--format", choices=("csv", "json"), default="csv", help="csv (default) or json")
    e.add_argument("-o", "--output", type=Path, default=None, help="file (default: stdout)")
    e.add_argument("--data-dir", type=Path, default=None, help=data_help)
    e.set_defaults(handler=_export)


def _store(data_dir: Path | None):  # type: ignore[no-untyped-def]
    from presshold.server.config import default_data_dir
    from presshold.server.store import SessionStore

    return SessionStore(data_dir or default_data_dir())


@contextlib.contextmanager
def _reading(store_path: Path) -> Iterator[None]:
    """A damaged or unreadable store is a one-line error, not a traceback; a reader that left
    the pipe (``… | head``) is not an error at all."""
    try:
        yield
    except sqlite3.Error as exc:
        raise StorageError(f"cannot read the session store {store_path}: {exc}") from exc
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # silence the final flush


def _list(args: argparse.Namespace) -> int:
    store = _store(args.data_dir)
    with _reading(store.path):
        sessions = store.list_sessions()
        if not sessions:
            print("no sessions recorded yet", file=sys.stderr)
        for s in sessions:
            state = {None: "recording", "recovered": "recovered after a crash"}.get(
                s["ended_at"], ""
            )
            holds = f"{s['holds_completed']}/{s['holds']} holds"
            print(
                f"{s['id']}  {s['started_at']}  {s['duration_s']:8.1f} s  {holds:>11}  "
                f"{s['label'] or ''}{'  (' + state + ')' if state else ''}"
            )
        sys.stdout.flush()
    return 0


def _export(args: argparse.Namespace) -> int:
    store = _store(args.data_dir)
    with _reading(store.path):
        meta = store.get_session(args.session_id)
        if meta is None:
            raise StorageError(f"no session {args.session_id!r} in {store.path}")
        if args.output is None:
            _write_export(args, store, meta, sys.stdout)
            sys.stdout.flush()
            return 0
        try:
            out = open(args.output, "w", newline="")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise PressHoldError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
        try:
            with out:
                _write_export(args, store, meta, out)
        except BaseException as exc:
            with contextlib.suppress(OSError):  # no half-written file that looks like an export
                args.output.unlink()
            if isinstance(exc, OSError):
                raise PressHoldError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
            raise
    return 0


def _write_export(args: argparse.Namespace, store, meta: dict, out) -> None:  # type: ignore[no-untyped-def]
    import json

    from presshold.server import exports
    from presshold.server.session_metrics import session_metrics

    if args.format == "csv":
        out.writelines(exports.csv_lines(meta, store.iter_samples(args.session_id)))
    else:
        metrics = session_metrics(store, meta, recording=meta["ended_at"] is None)
        json.dump(exports.json_export(meta, metrics), out, indent=2)
        out.write("\n")
