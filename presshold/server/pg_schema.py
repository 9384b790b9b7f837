"""The PostgreSQL schema (versioned, migrated on start) and how queued ops become SQL.

Besides the sessions the schema holds the records the other repositories keep through
:class:`~presshold.server.pg_db.PgDb` (students, runs, trials, references, custom protocols,
clients: version 3); they are written directly, one transaction per call, not through ops.

Same layout as the SQLite store (``store.py``): one ``blocks`` row per 50 ms of samples with the
arrays as little-endian float64 ``bytea``, events as rows, settings and calibration copied into
the session as JSON text (text, not ``jsonb``: metrics may hold NaN, which ``jsonb`` refuses, and
the bytes read back equal the bytes the SQLite store keeps). Sample blocks are written with
binary ``COPY`` into a temporary table, then moved with ``INSERT … ON CONFLICT DO NOTHING``:
bulk speed, and a block replayed from the outage spool is not written twice.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg

from presshold.server.pg_ops import Op

MIGRATIONS: tuple[str, ...] = (
    # 1: the first release of the PostgreSQL store
    """
    CREATE TABLE sessions (
      id TEXT PRIMARY KEY, started_at TEXT NOT NULL, ended_at TEXT,
      duration_s DOUBLE PRECISION NOT NULL DEFAULT 0, label TEXT, notes TEXT, sensor TEXT,
      settings TEXT, calibration TEXT, metrics TEXT, metrics_samples BIGINT,
      station_id TEXT, station_name TEXT, hub TEXT, created BIGSERIAL);
    CREATE INDEX sessions_open ON sessions(hub) WHERE ended_at IS NULL;
    CREATE TABLE blocks (
      session_id TEXT NOT NULL, t_first DOUBLE PRECISION NOT NULL,
      t_last DOUBLE PRECISION NOT NULL, n INTEGER NOT NULL,
      t_s BYTEA NOT NULL, force_n BYTEA NOT NULL, raw BYTEA NOT NULL,
      PRIMARY KEY (session_id, t_first));
    CREATE TABLE events (
      id TEXT PRIMARY KEY, session_id TEXT NOT NULL, t_s DOUBLE PRECISION NOT NULL,
      kind TEXT NOT NULL, data TEXT, created BIGSERIAL);
    CREATE INDEX events_by_session ON events(session_id, kind, t_s);
    CREATE TABLE cursors (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: sessions name the practice's (pseudonymous) client, as the SQLite store does
    """
    ALTER TABLE sessions ADD COLUMN IF NOT EXISTS client_id TEXT;
    CREATE INDEX IF NOT EXISTS sessions_by_client ON sessions(client_id);
    """,
    # 3: trainer mode's records, the protocol library and the client book beside the sessions
    # (the SQLite layout of trainer.sqlite3; runs name the hub that runs them, as sessions do)
    """
    CREATE TABLE students (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, grp TEXT, notes TEXT, created_at TEXT NOT NULL);
    CREATE TABLE runs (
      id TEXT PRIMARY KEY, station_id TEXT, station_name TEXT, student_id TEXT,
      protocol_id TEXT NOT NULL, protocol TEXT NOT NULL, session_id TEXT,
      started_at TEXT NOT NULL, ended_at TEXT, status TEXT NOT NULL, result TEXT, hub TEXT);
    CREATE INDEX runs_student ON runs(student_id);
    CREATE INDEX runs_running ON runs(hub) WHERE status = 'running';
    CREATE TABLE trials (
      id TEXT PRIMARY KEY, run_id TEXT NOT NULL, student_id TEXT, idx INTEGER NOT NULL,
      step INTEGER NOT NULL, rep INTEGER NOT NULL, protocol_id TEXT,
      target_n DOUBLE PRECISION NOT NULL, feedback TEXT NOT NULL, shown INTEGER NOT NULL,
      started_at TEXT NOT NULL, session_id TEXT, from_s DOUBLE PRECISION,
      to_s DOUBLE PRECISION, end_reason TEXT, score DOUBLE PRECISION NOT NULL,
      passed INTEGER NOT NULL, metrics TEXT NOT NULL, trace TEXT NOT NULL);
    CREATE INDEX trials_run ON trials(run_id, idx);
    CREATE INDEX trials_student ON trials(student_id, started_at);
    CREATE TABLE refs (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, session_id TEXT, from_s DOUBLE PRECISION,
      to_s DOUBLE PRECISION, created_at TEXT NOT NULL, trace TEXT NOT NULL);
    CREATE TABLE protocols (id TEXT PRIMARY KEY, body TEXT NOT NULL);
    CREATE TABLE clients (id TEXT PRIMARY KEY, record TEXT NOT NULL);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
LOCK_KEY = 0x50524553  # "PRES": one hub migrates at a time
SESSION_COLUMNS = {"label", "notes", "ended_at", "station_name"}
"""What ``update_session`` may change (the SQLite store's PATCH fields)."""


def migrate(con: psycopg.Connection) -> int:
    """Bring the schema to :data:`SCHEMA_VERSION`; returns the version found before."""
    with con.transaction():
        con.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        con.execute("CREATE TABLE IF NOT EXISTS presshold_schema (version INTEGER NOT NULL)")
        row = con.execute("SELECT version FROM presshold_schema").fetchone()
        found = 0 if row is None else int(row[0])
        if found > SCHEMA_VERSION:
            from presshold.errors import StorageError

            raise StorageError(
                f"the database has schema version {found}, newer than this PressHold "
                f"({SCHEMA_VERSION}): upgrade PressHold"
            )
        for sql in MIGRATIONS[found:]:
            con.execute(sql)
        if row is None:
            con.execute("INSERT INTO presshold_schema VALUES (%s)", (SCHEMA_VERSION,))
        else:
            con.execute("UPDATE presshold_schema SET version = %s", (SCHEMA_VERSION,))
    return found


def apply(con: psycopg.Connection, ops: Sequence[Op]) -> None:
    """Run ``ops`` inside the caller's transaction, in bulk: every sample block of the list in
    one ``COPY``, every event in one pipelined ``executemany``, each cursor written once.

    Reordering is safe because the list commits as one transaction and blocks, events and
    cursors depend on nothing but the session row (inserted first, in order) — except a
    delete (and the start-up recovery), which must see the writes queued before it: those
    are written before it. Interleaved one by one, 32 stations' blocks and cursors cost ~800
    round trips a second and the writer fell seconds behind (``bench/bench_network.py``)."""
    blocks: list[Op] = []
    events: list[Op] = []
    cursors: dict[str, str] = {}
    for op in ops:
        if op.kind == "block":
            blocks.append(op)
        elif op.kind == "event":
            events.append(op)
        elif op.kind == "cursor":
            cursors[op.args[0]] = op.args[1]  # the last one wins, as in order
        else:
            if op.kind in ("delete", "recover"):
                _bulk(con, blocks, events, cursors)
                blocks, events, cursors = [], [], {}
            _one(con, op)
    _bulk(con, blocks, events, cursors)


def _bulk(
    con: psycopg.Connection, blocks: list[Op], events: list[Op], cursors: dict[str, str]
) -> None:
    if blocks:
        _copy_blocks(con, blocks)
    with con.cursor() as cur:
        if events:
            cur.executemany(
                "INSERT INTO events(id, session_id, t_s, kind, data) VALUES (%s,%s,%s,%s,%s)"
                " ON CONFLICT (id) DO NOTHING",
                [op.args for op in events],
            )
        if cursors:
            cur.executemany(
                "INSERT INTO cursors VALUES (%s, %s) ON CONFLICT (name) DO UPDATE"
                " SET value = EXCLUDED.value",
                list(cursors.items()),
            )


def _one(con: psycopg.Connection, op: Op) -> None:
    a = op.args
    if op.kind == "session":
        con.execute(
            "INSERT INTO sessions(id, started_at, label, notes, sensor, settings, calibration,"
            " station_id, station_name, hub, client_id) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
            " ON CONFLICT (id) DO NOTHING",
            a,
        )
    elif op.kind == "end":
        con.execute("UPDATE sessions SET ended_at = %s WHERE id = %s", (a[1], a[0]))
    elif op.kind == "update":
        fields = {k: v for k, v in a[1].items() if k in SESSION_COLUMNS}
        if fields:
            cols = ", ".join(f"{k} = %s" for k in fields)
            con.execute(f"UPDATE sessions SET {cols} WHERE id = %s", (*fields.values(), a[0]))
    elif op.kind == "delete":
        for table in ("blocks", "events"):
            con.execute(f"DELETE FROM {table} WHERE session_id = %s", (a[0],))
        con.execute("DELETE FROM sessions WHERE id = %s", (a[0],))
    elif op.kind == "metrics":
        con.execute(
            "UPDATE sessions SET metrics = %s, metrics_samples = %s WHERE id = %s",
            (a[2], a[1], a[0]),
        )
    elif op.kind == "recover":
        con.execute(
            "UPDATE sessions SET ended_at = 'recovered' WHERE ended_at IS NULL AND hub = %s",
            (a[0],),
        )
    else:
        raise ValueError(f"unknown store op {op.kind!r}")


def _copy_blocks(con: psycopg.Connection, ops: Sequence[Op]) -> None:
    con.execute("CREATE TEMP TABLE IF NOT EXISTS blocks_in (LIKE blocks) ON COMMIT DELETE ROWS")
    with con.cursor() as cur:
        with cur.copy("COPY blocks_in FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["text", "float8", "float8", "int4", "bytea", "bytea", "bytea"])
            for op in ops:
                sid, t_first, t_last, n = op.args
                k = 8 * n
                b = op.blob
                copy.write_row((sid, t_first, t_last, n, b[:k], b[k : 2 * k], b[2 * k :]))
        cur.execute(
            "INSERT INTO blocks SELECT * FROM blocks_in ON CONFLICT DO NOTHING;"
            "UPDATE sessions s SET duration_s = GREATEST(s.duration_s, m.t)"
            " FROM (SELECT session_id, MAX(t_last) AS t FROM blocks_in GROUP BY 1) m"
            " WHERE s.id = m.session_id;"
            "TRUNCATE blocks_in"
        )
