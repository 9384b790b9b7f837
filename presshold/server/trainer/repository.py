"""Students, runs, trials and references: ``trainer.sqlite3`` in the data directory, or the
hub's PostgreSQL database with ``--store postgresql://…``.

Why a repository class: routes and the run service speak to these few methods only. The SQL is
written once, in what SQLite and PostgreSQL both speak, and runs on a
:class:`~presshold.server.sql_db.SqlDb` (one transaction per call, so a failure leaves nothing
half-written and answers 503). The SQLite file holds names and notes about people: it is created
owner-only (0600) where the platform supports it. Calls are synchronous and short; the server
runs them in a worker thread.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from presshold.errors import NotFound
from presshold.server.sql_db import SqlDb, SqliteDb, Tx

FILE = "trainer.sqlite3"
SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS students (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, grp TEXT, notes TEXT, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, station_id TEXT, station_name TEXT, student_id TEXT,
    protocol_id TEXT NOT NULL, protocol TEXT NOT NULL, session_id TEXT,
    started_at TEXT NOT NULL, ended_at TEXT, status TEXT NOT NULL, result TEXT, hub TEXT
);
CREATE INDEX IF NOT EXISTS runs_student ON runs(student_id);
CREATE TABLE IF NOT EXISTS trials (
    id TEXT PRIMARY KEY, run_id TEXT NOT NULL, student_id TEXT, idx INTEGER NOT NULL,
    step INTEGER NOT NULL, rep INTEGER NOT NULL, protocol_id TEXT, target_n REAL NOT NULL,
    feedback TEXT NOT NULL, shown INTEGER NOT NULL, started_at TEXT NOT NULL,
    session_id TEXT, from_s REAL, to_s REAL, end_reason TEXT, score REAL NOT NULL,
    passed INTEGER NOT NULL, metrics TEXT NOT NULL, trace TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS trials_run ON trials(run_id, idx);
CREATE INDEX IF NOT EXISTS trials_student ON trials(student_id, started_at);
CREATE TABLE IF NOT EXISTS refs (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, session_id TEXT, from_s REAL, to_s REAL,
    created_at TEXT NOT NULL, trace TEXT NOT NULL
);
"""
SQLITE_UPGRADES = ("ALTER TABLE runs ADD COLUMN hub TEXT",)  # files older than the hub column
STUDENT_COLUMNS = ("id", "name", "grp", "notes", "created_at")
RUN_COLUMNS = (
    "id", "station_id", "station_name", "student_id", "protocol_id", "protocol", "session_id",
    "started_at", "ended_at", "status", "result", "hub",
)  # fmt: skip
TRIAL_COLUMNS = (
    "id", "run_id", "student_id", "idx", "step", "rep", "protocol_id", "target_n", "feedback",
    "shown", "started_at", "session_id", "from_s", "to_s", "end_reason", "score", "passed",
    "metrics", "trace",
)  # fmt: skip
REF_COLUMNS = ("id", "name", "session_id", "from_s", "to_s", "created_at")
TABLES = {
    "students": STUDENT_COLUMNS,
    "runs": RUN_COLUMNS,
    "trials": TRIAL_COLUMNS,
    "refs": (*REF_COLUMNS, "trace"),
}
"""Every table and its columns (what ``presshold migrate`` copies)."""


def upsert(table: str, columns: tuple[str, ...]) -> str:
    """``INSERT … ON CONFLICT (id) DO UPDATE``: the same statement for SQLite (≥ 3.24) and
    PostgreSQL."""
    sets = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id")
    marks = ", ".join("?" * len(columns))
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        f" ON CONFLICT (id) DO UPDATE SET {sets}"
    )


Row = Any
"""A result row read by column name (``sqlite3.Row`` or psycopg's ``dict_row``)."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


def _student(r: Row) -> dict[str, Any]:
    return {
        "id": r["id"],
        "name": r["name"],
        "group": r["grp"],
        "notes": r["notes"],
        "created_at": r["created_at"],
    }


def _run(r: Row) -> dict[str, Any]:
    return {
        "id": r["id"],
        "station_id": r["station_id"],
        "station_name": r["station_name"],
        "student_id": r["student_id"],
        "protocol_id": r["protocol_id"],
        "protocol": json.loads(r["protocol"]),
        "session_id": r["session_id"],
        "started_at": r["started_at"],
        "ended_at": r["ended_at"],
        "status": r["status"],
        "result": json.loads(r["result"]) if r["result"] else None,
    }


def _trial(r: Row, with_trace: bool) -> dict[str, Any]:
    d = {
        "id": r["id"],
        "run_id": r["run_id"],
        "student_id": r["student_id"],
        "index": r["idx"],
        "step": r["step"],
        "rep": r["rep"],
        "protocol_id": r["protocol_id"],
        "target_n": r["target_n"],
        "feedback": r["feedback"],
        "shown": bool(r["shown"]),
        "started_at": r["started_at"],
        "session_id": r["session_id"],
        "from_s": r["from_s"],
        "to_s": r["to_s"],
        "end_reason": r["end_reason"],
        "score": r["score"],
        "passed": bool(r["passed"]),
        "metrics": json.loads(r["metrics"]),
    }
    if with_trace:
        d["trace"] = json.loads(r["trace"])
    return d


class TrainerRepository:
    """Trainer mode's records on SQLite or PostgreSQL (module docstring)."""

    def __init__(self, db: SqlDb, hub: str | None = None) -> None:
        """``hub``: this server's id in a database several hubs share; at start it interrupts
        only the runs *it* left running (``None``: a data dir's own file, one server)."""
        self.db = db
        self.hub = hub
        self._recovered = False

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> TrainerRepository:
        """The single-laptop default: ``trainer.sqlite3`` in ``data_dir``."""
        return cls(SqliteDb(Path(data_dir) / FILE, SQLITE_SCHEMA, SQLITE_UPGRADES))

    def open(self) -> None:
        """Create or migrate the tables; the runs this server was stopped during are ended as
        ``interrupted`` (their stored trials stand). Raises StorageError; a database that is
        down now is retried at the next call."""
        self.db.open()
        with self._tx():
            pass

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _tx(self) -> Iterator[Tx]:
        with self.db.tx() as c:
            if not self._recovered:  # first thing done in the database, whenever it answers
                c.execute(
                    "UPDATE runs SET status = 'interrupted' WHERE status = 'running'"
                    " AND (hub = ? OR hub IS NULL)",
                    (self.hub,),
                )
            yield c
        self._recovered = True

    # --- students -----------------------------------------------------------------------
    def add_student(self, name: str, group: str | None, notes: str | None) -> dict[str, Any]:
        sid = new_id("st")
        with self._tx() as c:
            c.execute(
                f"INSERT INTO students ({', '.join(STUDENT_COLUMNS)}) VALUES (?, ?, ?, ?, ?)",
                (sid, name, group, notes, now_iso()),
            )
        return self.student(sid)

    def student(self, sid: str) -> dict[str, Any]:
        with self._tx() as c:
            r = c.execute("SELECT * FROM students WHERE id=?", (sid,)).fetchone()
        if r is None:
            raise NotFound(f"no student {sid!r}")
        return _student(r)

    def students(self) -> list[dict[str, Any]]:
        """Every student with their latest trial's score and when (for ``/students``)."""
        with self._tx() as c:
            rows = c.execute(
                "SELECT s.*, (SELECT score FROM trials t WHERE t.student_id = s.id "
                "ORDER BY started_at DESC LIMIT 1) AS latest_score, (SELECT MAX(started_at) "
                "FROM trials t WHERE t.student_id = s.id) AS latest_at, (SELECT COUNT(*) FROM "
                "trials t WHERE t.student_id = s.id) AS n_trials FROM students s"
            ).fetchall()
        rows.sort(key=lambda r: (r["name"].casefold(), r["id"]))  # by name, as people look
        return [
            {
                **_student(r),
                "latest_score": r["latest_score"],
                "latest_at": r["latest_at"],
                "trials": int(r["n_trials"]),
            }
            for r in rows
        ]

    def update_student(self, sid: str, fields: dict[str, Any]) -> dict[str, Any]:
        cols = {"name": "name", "group": "grp", "notes": "notes"}
        sets = [(cols[k], v) for k, v in fields.items() if k in cols]
        if sets:
            with self._tx() as c:
                cur = c.execute(
                    f"UPDATE students SET {', '.join(f'{k}=?' for k, _ in sets)} WHERE id=?",
                    [v for _, v in sets] + [sid],
                )
                if cur.rowcount == 0:
                    raise NotFound(f"no student {sid!r}")
        return self.student(sid)

    def delete_student(self, sid: str) -> int:
        """Delete the student, their trials and their runs; returns the trials deleted."""
        with self._tx() as c:
            if c.execute("SELECT 1 FROM students WHERE id=?", (sid,)).fetchone() is None:
                raise NotFound(f"no student {sid!r}")
            n = c.execute("DELETE FROM trials WHERE student_id=?", (sid,)).rowcount
            c.execute("DELETE FROM runs WHERE student_id=?", (sid,))
            c.execute("DELETE FROM students WHERE id=?", (sid,))
        return int(n)

    # --- runs and trials ----------------------------------------------------------------
    def save_run(self, run: dict[str, Any]) -> None:
        with self._tx() as c:
            c.execute(
                upsert("runs", RUN_COLUMNS),
                (
                    run["id"], run["station_id"], run["station_name"], run.get("student_id"),
                    run["protocol_id"], json.dumps(run["protocol"]), run.get("session_id"),
                    run["started_at"], run.get("ended_at"), run["status"],
                    json.dumps(run["result"]) if run.get("result") is not None else None,
                    self.hub,
                ),
            )  # fmt: skip

    def run(self, rid: str) -> dict[str, Any]:
        with self._tx() as c:
            r = c.execute("SELECT * FROM runs WHERE id=?", (rid,)).fetchone()
        if r is None:
            raise NotFound(f"no run {rid!r}")
        return _run(r)

    def runs_of(self, student_id: str) -> list[dict[str, Any]]:
        with self._tx() as c:
            rows = c.execute(
                "SELECT * FROM runs WHERE student_id=? ORDER BY started_at", (student_id,)
            ).fetchall()
        return [_run(r) for r in rows]

    def add_trial(self, trial: dict[str, Any]) -> None:
        m = trial["metrics"]
        with self._tx() as c:
            c.execute(
                upsert("trials", TRIAL_COLUMNS),
                (
                    trial["id"], trial["run_id"], trial.get("student_id"), trial["index"],
                    trial["step"], trial["rep"], trial.get("protocol_id"), trial["target_n"],
                    trial["feedback"], int(trial["shown"]), trial["started_at"],
                    trial.get("session_id"), trial.get("from_s"), trial.get("to_s"),
                    trial.get("end_reason"), m["score"], int(trial["passed"]), json.dumps(m),
                    json.dumps(trial.get("trace", [])),
                ),
            )  # fmt: skip

    def trials(
        self,
        *,
        run_id: str | None = None,
        student_id: str | None = None,
        with_trace: bool = False,
    ) -> list[dict[str, Any]]:
        if (run_id is None) == (student_id is None):
            raise ValueError("give run_id or student_id")
        where, arg = ("run_id", run_id) if run_id is not None else ("student_id", student_id)
        with self._tx() as c:
            rows = c.execute(
                f"SELECT * FROM trials WHERE {where}=? ORDER BY started_at, idx", (arg,)
            ).fetchall()
        return [_trial(r, with_trace) for r in rows]

    # --- references ---------------------------------------------------------------------
    def add_reference(
        self, name: str, session_id: str, from_s: float, to_s: float, trace: list[list[float]]
    ) -> dict[str, Any]:
        rid = new_id("ref")
        with self._tx() as c:
            c.execute(
                f"INSERT INTO refs ({', '.join(TABLES['refs'])}) VALUES (?,?,?,?,?,?,?)",
                (rid, name, session_id, from_s, to_s, now_iso(), json.dumps(trace)),
            )
        return self.reference(rid)

    def reference(self, rid: str, with_trace: bool = True) -> dict[str, Any]:
        with self._tx() as c:
            r = c.execute("SELECT * FROM refs WHERE id=?", (rid,)).fetchone()
        if r is None:
            raise NotFound(f"no reference {rid!r}")
        d = {k: r[k] for k in REF_COLUMNS}
        if with_trace:
            d["trace"] = json.loads(r["trace"])
        return d

    def references(self) -> list[dict[str, Any]]:
        """Every reference, oldest first, without its trace."""
        with self._tx() as c:
            rows = c.execute(
                f"SELECT {', '.join(REF_COLUMNS)} FROM refs ORDER BY created_at, id"
            ).fetchall()
        return [{k: r[k] for k in REF_COLUMNS} for r in rows]

    def delete_reference(self, rid: str) -> None:
        with self._tx() as c:
            if c.execute("DELETE FROM refs WHERE id=?", (rid,)).rowcount == 0:
                raise NotFound(f"no reference {rid!r}")
