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
    p = sub.add_parser("sessions", help="list recorded sessions")
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--station", default=None, help="only this station's sessions (its id)")
    p.add_argument(
        "--store", default=None, metavar="URL", help="postgresql://… (or PRESSHOLD_STORE)"
    )
    p.set_defaults(handler=_list)
    e = sub.add_parser("export", help="export a session as CSV (every sample) or JSON")
    e.add_argument("session_id")
    e.add_argument("--format", choices=("csv", "json"), default="csv")
    e.add_argument("-o", "--output", type=Path, default=None, help="file (default: stdout)")
    e.add_argument("--data-dir", type=Path, default=None)
    e.add_argument(
        "--store", default=None, metavar="URL", help="postgresql://… (or PRESSHOLD_STORE)"
    )
    e.set_defaults(handler=_export)


def _store(data_dir: Path | None, url: str | None = None):  # type: ignore[no-untyped-def]
    """The data dir's SQLite store, or the PostgreSQL one ``--store``/``PRESSHOLD_STORE`` names."""
    from presshold.server.config import default_data_dir
    from presshold.server.store_factory import make_store

    return make_store(url or os.environ.get("PRESSHOLD_STORE"), data_dir or default_data_dir())


@contextlib.contextmanager
def _reading(store_path: Path | str) -> Iterator[None]:
    """A damaged or unreadable store is a one-line error, not a traceback; a reader that left
    the pipe (``… | head``) is not an error at all."""
    try:
        yield
    except sqlite3.Error as exc:
        raise StorageError(f"cannot read the session store {store_path}: {exc}") from exc
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # silence the final flush


def _list(args: argparse.Namespace) -> int:
    store = _store(args.data_dir, args.store)
    with _reading(store.location):
        sessions = store.list_sessions()
        if args.station is not None:
            sessions = [s for s in sessions if s.get("station_id") == args.station]
        if not sessions:
            where = f" at station {args.station!r}" if args.station is not None else ""
            print(f"no sessions recorded yet{where}", file=sys.stderr)
        for s in sessions:
            state = {None: "recording", "recovered": "recovered after a crash"}.get(
                s["ended_at"], ""
            )
            holds = f"{s['holds_completed']}/{s['holds']} holds"
            station = (s.get("station_name") or s.get("station_id") or "-")[:16]
            print(
                f"{s['id']}  {s['started_at']}  {station:<16}  {s['duration_s']:8.1f} s  "
                f"{holds:>11}  "
                f"{s['label'] or ''}{'  (' + state + ')' if state else ''}"
            )
        sys.stdout.flush()
    return 0


def _export(args: argparse.Namespace) -> int:
    store = _store(args.data_dir, args.store)
    with _reading(store.location):
        meta = store.get_session(args.session_id)
        if meta is None:
            raise StorageError(f"no session {args.session_id!r} in {store.location}")
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
