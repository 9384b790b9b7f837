"""Session store in PostgreSQL: the central record of a school or a clinic chain.

Same promises as the SQLite store (``docs/storage.md``), kept the same way: writes are queued
as :class:`~presshold.server.pg_ops.Op` data and one writer thread commits them at most
``FLUSH_S`` apart (a killed hub loses at most the last second), sample blocks in bulk with
``COPY``. When the database is unreachable the live path never notices: ``ok``/``error`` say
so on the dashboard, each flush round moves what it holds into a local spool file
(``postgres-spool.sqlite3`` in the data dir, bounded) — so memory stays bounded and even a hub
killed during the outage keeps it — and when the database answers again the spool is written
first, in order, then the new writes. Reads open short connections of their own and run the
SQL the SQLite store runs (:mod:`presshold.server.session_reads`).

Why psycopg 3 (not asyncpg): the writer is a thread, as in the SQLite store, and psycopg's
synchronous API with binary ``COPY`` fits it without an event loop of its own; measured in
``bench/bench_clients.py`` (README's dependency table).
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from psycopg.rows import dict_row

from presshold import urls
from presshold.errors import StorageError
from presshold.server import pg_schema
from presshold.server.hub_id import hub_identity
from presshold.server.pg_ops import Op, OpSpool
from presshold.server.session_reads import ReadConnection, SessionReads, StoreUnreadable
from presshold.server.sql_db import Cursor
from presshold.server.store import (
    MAX_BACKLOG,
    SYNC_TIMEOUT_S,
    _Barrier,
    wait_for_writer,
    writer_round,
)

log = logging.getLogger("presshold.store")

SPOOL_MAX_BYTES = 1 << 30  # ~2 h of 32 stations at 80 Hz while the database is away
RETRY_S = 1.0
CONNECT = {
    "connect_timeout": 3,
    "application_name": "presshold",
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,  # ms: a write to a vanished server fails instead of hanging
}


class DatabaseDown(Exception):
    """The server cannot be reached or dropped the connection: keep the ops, retry later."""


def connect(url: str, **kw: Any) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(url, **CONNECT, **kw)
    except psycopg.Error as exc:
        raise DatabaseDown(describe(exc)) from None


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return urls.mask(text[0] if text else type(exc).__name__)


class PgSessionStore(SessionReads):
    """:class:`~presshold.server.store_api.SessionStoreAPI` on PostgreSQL; its reads are the
    shared :class:`SessionReads` on :class:`_PgRead` connections."""

    def __init__(self, url: str, data_dir: Path, spool_max_bytes: int = SPOOL_MAX_BYTES) -> None:
        urls.split(url, ("postgresql", "postgres"), "--store")
        self.url = url
        self.data_dir = Path(data_dir)
        self.hub = hub_identity(self.data_dir)
        self.ok = True
        self.error: str | None = None
        self.spool = OpSpool(self.data_dir / "postgres-spool.sqlite3", spool_max_bytes)
        self._ops: queue.Queue[Op | _Barrier | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._con: psycopg.Connection[Any] | None = None
        self._backlog: list[Op] = []  # only when even the spool file cannot be written
        self._retry_at = 0.0
        self._migrated = False
        self._why = ""

    @property
    def location(self) -> str:
        return urls.mask(self.url)

    # --- lifecycle -----------------------------------------------------------------------
    def open(self) -> None:
        """Migrate the schema and close what this hub left open; a database that is down now
        is reported (``ok`` False) and retried by the writer, never raised."""
        try:
            waiting = self.spool.load()
        except (OSError, Exception) as exc:  # sqlite3.Error: a damaged spool file
            self._fail(f"outage spool unreadable: {exc}")
            waiting = 0
        if waiting:
            log.warning("%d writes from an earlier outage wait for %s", waiting, self.location)
        self._ops.put(Op("recover", (self.hub,)))  # after the spool, before this run's writes
        try:
            self._connection()
        except DatabaseDown as exc:
            self._fail(str(exc))
        self._thread = threading.Thread(target=self._run, name="presshold-store", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Write everything queued (or spool it if the database is away), then close."""
        if self._thread is not None:
            self._ops.put(None)
            self._thread.join(15)
        if self._con is not None:
            self._con.close()
        self.spool.close()

    def _fail(self, why: str) -> None:
        self.ok, self._why = False, why
        waiting = self.spool.count + len(self._backlog)
        kept = f"; {waiting} writes kept until it returns" if waiting else ""
        self.error = f"cannot write sessions to {self.location}: {why}{kept}"

    def _connection(self) -> psycopg.Connection[Any]:
        if self._con is None or self._con.closed:
            con = connect(self.url)
            try:
                if not self._migrated:
                    found = pg_schema.migrate(con)
                    if found < pg_schema.SCHEMA_VERSION:
                        log.info("store schema %d → %d", found, pg_schema.SCHEMA_VERSION)
                    self._migrated = True
            except psycopg.OperationalError as exc:
                con.close()
                raise DatabaseDown(describe(exc)) from None
            self._con = con
        return self._con

    # --- queueing (event loop) -----------------------------------------------------------
    def submit(self, op: Op) -> None:
        if self._ops.qsize() < MAX_BACKLOG:
            self._ops.put(op)
        else:
            self.ok = False
            self.error = "write backlog full; newest samples are not being saved"

    def sync(self, timeout_s: float = SYNC_TIMEOUT_S) -> bool:
        """Block until every earlier write is committed or safe in the spool file."""
        return wait_for_writer(self._thread, self._ops, timeout_s)

    # --- writer thread -------------------------------------------------------------------
    def _run(self) -> None:
        stop = False
        while not stop:
            ops, barriers, stop = writer_round(self._ops)
            self._write_out(ops, final=stop)
            for b in barriers:
                b.release(not self._backlog)

    def _write_out(self, ops: list[Op], final: bool = False) -> None:
        ops, self._backlog = self._backlog + ops, []
        if self._drain_spool(force=final):
            if not ops:
                return
            try:
                self._commit(ops)
                self.ok, self.error = True, None
                return
            except DatabaseDown as exc:
                self._drop_connection()
                self._fail(str(exc))
        if ops:
            try:
                self.spool.append(ops)
                self._fail(self._why)  # the count of writes kept changed
            except Exception as exc:  # OSError, sqlite3.Error: the local disk fails too
                self._backlog = ops[-MAX_BACKLOG:]
                self._fail(f"database down and outage spool failing ({exc})")

    def _drain_spool(self, force: bool = False) -> bool:
        """Write the spool to the database, oldest first; True when it is empty."""
        if not self.spool.count:
            return True
        if not force and time.monotonic() < self._retry_at:
            return False
        while self.spool.count:
            try:
                ops, last = self.spool.head()
                self._commit(ops)
                self.spool.remove_through(last)
            except DatabaseDown as exc:
                self._drop_connection()
                self._retry_at = time.monotonic() + RETRY_S
                self._fail(str(exc))
                return False
            except Exception as exc:  # the spool file itself fails: keep trying later
                self._retry_at = time.monotonic() + RETRY_S
                self._fail(f"outage spool unreadable: {exc}")
                return False
        log.info("outage spool written to %s", self.location)
        self.ok, self.error = True, None
        return True

    def _drop_connection(self) -> None:
        close_quietly(self._con)
        self._con = None

    def _commit(self, ops: list[Op]) -> None:
        """One transaction; an op the database rejects as invalid (not an outage) is logged
        and skipped, so one bad write cannot hold every later one back forever."""
        con = self._connection()
        try:
            with con.transaction():
                pg_schema.apply(con, ops)
            return
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise DatabaseDown(describe(exc)) from None
        except psycopg.Error:
            pass
        for op in ops:  # find the bad one(s)
            try:
                with con.transaction():
                    pg_schema.apply(con, [op])
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                raise DatabaseDown(describe(exc)) from None
            except psycopg.Error as exc:
                log.error("store op %s rejected by the database: %s", op.kind, describe(exc))

    # --- write helpers (event loop) ------------------------------------------------------
    def create_session(self, meta: dict[str, Any]) -> None:
        self.submit(
            Op(
                "session",
                (
                    meta["id"],
                    meta["started_at"],
                    meta.get("label"),
                    meta.get("notes"),
                    meta.get("sensor"),
                    json.dumps(meta.get("settings")),
                    json.dumps(meta.get("calibration")),
                    meta.get("station_id"),
                    meta.get("station_name"),
                    self.hub,
                    meta.get("client_id"),
                ),
            )
        )

    def add_block(self, sid: str, t_s: np.ndarray, force_n: np.ndarray, raw: np.ndarray) -> None:
        blob = b"".join(np.ascontiguousarray(a, "<f8").tobytes() for a in (t_s, force_n, raw))
        self.submit(Op("block", (sid, float(t_s[0]), float(t_s[-1]), len(t_s)), blob))

    def add_event(self, sid: str, t_s: float, kind: str, data: dict[str, Any]) -> None:
        self.submit(Op("event", (uuid.uuid4().hex, sid, float(t_s), kind, json.dumps(data))))

    def end_session(self, sid: str, ended_at: str) -> None:
        self.submit(Op("end", (sid, ended_at)))

    def update_session(self, sid: str, fields: dict[str, Any]) -> None:
        unknown = set(fields) - pg_schema.SESSION_COLUMNS
        if unknown:
            raise StorageError(f"cannot update session fields {sorted(unknown)}")
        self.submit(Op("update", (sid, dict(fields))))

    def delete_session(self, sid: str) -> None:
        self.submit(Op("delete", (sid,)))

    def save_metrics(self, sid: str, samples: int, metrics: dict[str, Any]) -> None:
        self.submit(Op("metrics", (sid, samples, json.dumps(metrics))))

    def set_cursor(self, name: str, value: str) -> None:
        """Written in order with the samples before it: committed only once they are."""
        self.submit(Op("cursor", (name, value)))

    # --- reads (SessionReads) ---------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[ReadConnection]:
        try:
            con = connect(self.url, row_factory=dict_row, autocommit=True)
        except DatabaseDown as exc:
            raise StoreUnreadable(f"session store unreadable: {self.location}: {exc}") from None
        try:
            yield _PgRead(con)
        except psycopg.Error as exc:
            raise StoreUnreadable(
                f"session store unreadable: {self.location}: {describe(exc)}"
            ) from None
        finally:
            con.close()


class Qmark:
    """psycopg with the ``?`` placeholders that the engine-neutral SQL is written in (no
    statement of it has a literal ``?`` or ``%``)."""

    def __init__(self, con: psycopg.Connection[Any]) -> None:
        self._con = con

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return self._con.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]


class _PgRead(Qmark):
    """:class:`ReadConnection` on PostgreSQL: rows stream through a server-side cursor (in a
    transaction of its own), 2000 blocks a round trip."""

    inserted = "created"

    def json_field(self, column: str, key: str) -> str:
        return f"({column}::json ->> '{key}')"

    @contextmanager
    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Iterable[Any]]:
        with (
            self._con.transaction(),
            self._con.cursor(name="presshold_samples") as cur,
        ):
            cur.itersize = 2000
            cur.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]
            yield cur


def close_quietly(con: psycopg.Connection[Any] | None) -> None:
    """Close a connection that may already be broken (the database went away): nothing to
    report, the caller reconnects."""
    if con is not None:
        with contextlib.suppress(psycopg.Error):
            con.close()
