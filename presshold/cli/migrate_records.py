"""``presshold migrate``'s second half: the records beside the sessions — ``trainer.sqlite3``
(students, runs, trials, references), ``protocols/*.json`` and ``clinic/clients.json`` — into
the tables a hub with ``--store postgresql://…`` keeps them in.

Idempotent by insert-if-absent: a record whose id is already in the database is **left
alone**, never overwritten. Once records are central they are edited there (a student renamed
at the school, a client's notes updated at another branch); a laptop migrated again later must
not put its older copy back over them. So a second run adds only what is new and doubles
nothing (ids are random for students, runs, trials, references and clients; each table is one
transaction).

Protocols are named by a slug of their name, so two laptops can hold different protocols with
one id: a protocol whose content is already in the database (under any id) is skipped, one
whose id is free keeps it, and one whose id is taken by another protocol is added under the
next free id (``…-2``) — so a second run finds its content there and adds nothing. A run keeps
a copy of its protocol, so a renamed id changes no history. Runs still ``running`` in the file
arrive ``interrupted``: no hub is running them in the central database.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import psycopg
from pydantic import ValidationError

from presshold.clinic.clients import Client
from presshold.clinic.repository import DIR as CLINIC_DIR
from presshold.clinic.repository import FILE as CLIENTS_FILE
from presshold.errors import StorageError
from presshold.server.sql_clients import record
from presshold.server.trainer.library import ID_RE, FileShelf, free_id, protocol_text
from presshold.server.trainer.repository import FILE as TRAINER_FILE
from presshold.server.trainer.repository import TABLES
from presshold.training.protocols import BUILTIN_IDS, ProtocolBody

Counts = dict[str, int]


def found_records(data_dir: Path) -> bool:
    """Whether ``data_dir`` holds any of these records."""
    return (
        (data_dir / TRAINER_FILE).exists()
        or bool(FileShelf(data_dir).ids())
        or (data_dir / CLINIC_DIR / CLIENTS_FILE).exists()
    )


def migrate_records(data_dir: Path, pg: psycopg.Connection[Any]) -> Counts:
    """Copy ``data_dir``'s records into ``pg`` (schema already migrated); counts per kind:
    ``students`` … ``clients`` (as found in the data dir) and ``new_…`` (added)."""
    counts: Counts = {}
    trainer = data_dir / TRAINER_FILE
    if trainer.exists():
        counts.update(_trainer(trainer, pg))
    counts.update(_protocols(data_dir, pg))
    counts.update(_clients(data_dir / CLINIC_DIR / CLIENTS_FILE, pg))
    return counts


def _insert_new(
    pg: psycopg.Connection[Any], table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> int:
    """Insert the rows whose id is not there yet, in one transaction; how many were new (the
    rows the inserts affected: exact, whatever other hubs write meanwhile)."""
    if not rows:
        return 0
    marks = ", ".join(["%s"] * len(columns))
    with pg.transaction(), pg.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            " ON CONFLICT (id) DO NOTHING",
            rows,
        )
        return max(0, cur.rowcount)


def _trainer(path: Path, pg: psycopg.Connection[Any]) -> Counts:
    counts: Counts = {}
    try:
        src = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot read {path}: {exc}") from None
    try:
        for table, columns in TABLES.items():
            have = {r[1] for r in src.execute(f"PRAGMA table_info({table})")}
            # a file's runs belong to no hub here (and files older than the column have none)
            cols = tuple(c for c in columns if c in have and c != "hub")
            rows = src.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall()
            if table == "runs":
                status = cols.index("status")
                rows = [
                    (*r[:status], "interrupted" if r[status] == "running" else r[status],
                     *r[status + 1 :])
                    for r in rows
                ]  # fmt: skip
            name = "references" if table == "refs" else table
            counts[name] = len(rows)
            counts[f"new_{name}"] = _insert_new(pg, table, cols, rows)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot read {path}: {exc}") from None
    finally:
        src.close()
    return counts


def _protocols(data_dir: Path, pg: psycopg.Connection[Any]) -> Counts:
    counts = {"protocols": 0, "new_protocols": 0, "renamed_protocols": 0, "invalid_protocols": 0}
    with pg.transaction():
        central = {
            pid: _content(text)
            for pid, text in pg.execute("SELECT id, body FROM protocols").fetchall()
        }
        for pid, text in FileShelf(data_dir).items():
            try:
                body = ProtocolBody.model_validate(json.loads(text))
            except (ValueError, ValidationError):
                counts["invalid_protocols"] += 1  # the server skips it too
                continue
            counts["protocols"] += 1
            content = body.model_dump(exclude_none=True)
            if content in central.values():
                continue
            taken = pid in central or pid in BUILTIN_IDS or not ID_RE.fullmatch(pid)
            new_id = free_id(pid, set(central)) if taken else pid
            pg.execute(
                "INSERT INTO protocols (id, body) VALUES (%s, %s)", (new_id, protocol_text(body))
            )
            central[new_id] = content
            counts["new_protocols"] += 1
            counts["renamed_protocols"] += new_id != pid
    return counts


def _content(text: str) -> dict[str, Any] | None:
    try:
        return ProtocolBody.model_validate(json.loads(text)).model_dump(exclude_none=True)
    except (ValueError, ValidationError):
        return None


def _clients(path: Path, pg: psycopg.Connection[Any]) -> Counts:
    if not path.exists():
        return {"clients": 0, "new_clients": 0}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        clients = [Client.model_validate(c) for c in data["clients"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StorageError(f"cannot read {path}: {exc}") from None
    rows = [(c.id, record(c)) for c in clients]
    return {"clients": len(rows), "new_clients": _insert_new(pg, "clients", ("id", "record"), rows)}
