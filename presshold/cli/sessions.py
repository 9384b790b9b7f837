"""``presshold sessions`` (list recorded sessions) and ``presshold export`` (CSV/JSON to a file)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``sessions`` and ``export``; both read the store directly (no server needed)."""
    p = sub.add_parser("sessions", help="list recorded sessions")
    p.add_argument("--data-dir", type=Path, default=None)
    p.set_defaults(handler=_list)
    e = sub.add_parser("export", help="export a session as CSV (every sample) or JSON")
    e.add_argument("session_id")
    e.add_argument("--format", choices=("csv", "json"), default="csv")
    e.add_argument("-o", "--output", type=Path, default=None, help="file (default: stdout)")
    e.add_argument("--data-dir", type=Path, default=None)
    e.set_defaults(handler=_export)


def _store(data_dir: Path | None):  # type: ignore[no-untyped-def]
    from presshold.server.config import default_data_dir
    from presshold.server.store import SessionStore

    return SessionStore(data_dir or default_data_dir())


def _list(args: argparse.Namespace) -> int:
    sessions = _store(args.data_dir).list_sessions()
    if not sessions:
        print("no sessions recorded yet", file=sys.stderr)
    for s in sessions:
        state = {None: "recording", "recovered": "recovered after a crash"}.get(s["ended_at"], "")
        holds = f"{s['holds_completed']}/{s['holds']} holds"
        print(
            f"{s['id']}  {s['started_at']}  {s['duration_s']:8.1f} s  {holds:>11}  "
            f"{s['label'] or ''}{'  (' + state + ')' if state else ''}"
        )
    return 0


def _export(args: argparse.Namespace) -> int:
    import json

    from presshold.errors import StorageError
    from presshold.server import exports
    from presshold.server.session_metrics import session_metrics

    store = _store(args.data_dir)
    meta = store.get_session(args.session_id)
    if meta is None:
        raise StorageError(f"no session {args.session_id!r} in {store.path}")
    out = open(args.output, "w", newline="") if args.output else sys.stdout  # noqa: SIM115
    try:
        if args.format == "csv":
            out.writelines(exports.csv_lines(meta, store.iter_samples(args.session_id)))
        else:
            metrics = session_metrics(store, meta, recording=meta["ended_at"] is None)
            json.dump(exports.json_export(meta, metrics), out, indent=2)
            out.write("\n")
    finally:
        if out is not sys.stdout:
            out.close()
    return 0
