"""``presshold sessions`` (list recorded sessions) and ``presshold export`` (every format)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from presshold.console_text import console_safe
from presshold.errors import PressHoldError, StorageError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``sessions`` and ``export``; both read the store directly (no server needed)."""
    data_help = "folder of the session store (default: this user's PressHold data folder)"
    p = sub.add_parser(
        "sessions",
        help="list recorded sessions",
        description="List recorded sessions, newest first: id, start, station, duration, holds "
        "completed of holds, alerts and label. No server needed; use an id with "
        "'presshold export'.",
    )
    p.add_argument("--data-dir", type=Path, default=None, help=data_help)
    p.add_argument("--station", default=None, help="only this station's sessions (its id)")
    p.add_argument(
        "--store", default=None, metavar="URL", help="postgresql://… (or PRESSHOLD_STORE)"
    )
    p.set_defaults(handler=_list)
    e = sub.add_parser(
        "export",
        help="export a session: CSV, Parquet or MAT (every sample), JSON, or FHIR R4",
        description="Export a recorded session (formats: docs/exports.md): CSV, Parquet or MAT "
        "with every sample (raw, filtered, state and settings columns, metadata), JSON with its "
        "events, marks and hold analysis, or an HL7 FHIR R4 Bundle. With -o the file is written "
        "under a temporary name and renamed when complete.",
    )
    e.add_argument("session_id", help="the id 'presshold sessions' lists")
    e.add_argument(
        "--format",
        choices=("csv", "parquet", "mat", "json", "fhir"),
        default="csv",
        help="csv, parquet, mat: every sample with the settings in force; json: metadata and "
        "analysis; fhir: an HL7 FHIR R4 Bundle (default csv)",
    )
    e.add_argument("-o", "--output", type=Path, default=None, help="file (default: stdout)")
    e.add_argument("--data-dir", type=Path, default=None, help=data_help)
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
    import sqlite3  # here, not at the top: every ``presshold`` command loads this module

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
            line = (
                f"{s['id']}  {s['started_at']}  {station:<16}  {s['duration_s']:8.1f} s  "
                f"{holds:>11}  "
                f"{s['label'] or ''}{'  (' + state + ')' if state else ''}"
            )
            print(console_safe(line))  # a label may hold terminal escape sequences
        sys.stdout.flush()
    return 0


def _export(args: argparse.Namespace) -> int:
    store = _store(args.data_dir, args.store)
    with _reading(store.location):
        meta = store.get_session(args.session_id)
        if meta is None:
            raise StorageError(f"no session {args.session_id!r} in {store.location}")
        if args.output is None:
            _write_export(args, store, meta, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return 0
        _export_to_file(args, store, meta)
    return 0


def _export_to_file(args: argparse.Namespace, store, meta: dict) -> None:  # type: ignore[no-untyped-def]
    """Write into a temporary file beside ``-o PATH``, then rename it over PATH: Ctrl-C or a
    full disk leave PATH exactly as it was (an earlier export there survives), never half."""
    import tempfile

    target: Path = args.output
    try:
        if target.is_dir():
            raise IsADirectoryError(21, "Is a directory")
        fd, tmp_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".part"
        )
    except OSError as exc:
        raise PressHoldError(f"cannot write {target}: {exc.strerror or exc}") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            _write_export(args, store, meta, out)
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise PressHoldError(f"cannot write {target}: {exc.strerror or exc}") from exc
        raise


def _mode_for(target: Path) -> int:
    """Keep an existing file's permissions; a new one gets what ``open()`` would give it."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _write_export(args: argparse.Namespace, store, meta: dict, out) -> None:  # type: ignore[no-untyped-def]
    import json

    from presshold.server import exports
    from presshold.server.session_metrics import session_metrics

    sid = args.session_id
    if args.format == "csv":
        for chunk in exports.csv_lines(meta, store.iter_samples(sid)):
            out.write(chunk.encode("utf-8"))
    elif args.format == "parquet":
        exports.write_parquet(meta, store.iter_samples(sid), out)
    elif args.format == "mat":
        out.write(exports.mat_bytes(meta, store.iter_samples(sid)))
    else:
        metrics = session_metrics(store, meta, recording=meta["ended_at"] is None)
        if args.format == "json":
            doc = exports.json_export(meta, metrics)
        else:
            doc = exports.fhir_bundle(meta, metrics, store.iter_samples(sid))
        out.write((json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
