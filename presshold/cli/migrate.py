"""``presshold migrate --from DATA_DIR --to postgresql://…``: a laptop's history into the central
store — its sessions (:mod:`presshold.cli.migrate_sessions`) and its trainer records, protocols
and clients (:mod:`presshold.cli.migrate_records`: records already there are left alone, and
why). Safe to repeat: a second run adds only what is new.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    help_ = (
        "copy a data dir's sessions, students, runs, trials, references, protocols and clients"
        " into a PostgreSQL store (safe to repeat)"
    )
    p = sub.add_parser("migrate", help=help_, description=help_)
    p.add_argument("--from", dest="source", type=Path, required=True, help="a PressHold data dir")
    p.add_argument(
        "--to", dest="target", required=True, help="postgresql://USER[:PASSWORD]@HOST[:PORT]/DB"
    )
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from presshold import urls

    urls.split(args.target, ("postgresql", "postgres"), "--to")
    from presshold.cli.migrate_sessions import migrate

    report = migrate(args.source.expanduser(), args.target)
    print(
        f"{report['sessions']} sessions ({report['new']} new), {report['samples']} samples, "
        f"{report['events']} events → {urls.mask(args.target)}"
    )
    kinds = ("students", "runs", "trials", "references", "protocols", "clients")
    print(", ".join(f"{report.get(k, 0)} {k} ({report.get('new_' + k, 0)} new)" for k in kinds))
    notes = {
        "renamed_protocols": "protocol(s) added under a new id (theirs was taken)",
        "invalid_protocols": "protocol file(s) skipped: not valid",
    }
    for key, what in notes.items():
        if report.get(key):
            print(f"{report[key]} {what}")
    return 0
