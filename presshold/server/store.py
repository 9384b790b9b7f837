"""Session store: SQLite in WAL mode, one writer thread, one row per block of samples.

Why this shape: a 1 kHz sensor would mean 3.6 M rows/hour as one row per sample; storing each
ingest block as NumPy blobs keeps writes cheap and reads a single ``frombuffer``. The writer
commits at most ``FLUSH_S`` apart, so kill -9 loses at most about that much. A failing disk
never raises into the live path: ``ok``/``error`` report it and the backlog is bounded; a batch
that fails is retried one write at a time, so deletes and updates still apply on a full disk
(deleting old sessions is how the user frees space) while the inserts wait. Only *transient*
failures (full, busy, locked, I/O) are retried: a write SQLite refuses for good (a constraint, a
bad statement) would fail forever and hold every later write behind it, so it is logged, counted
and dropped. Nothing queued is ever dropped silently: every sample refused or cut from a backlog
past its bound is counted in ``lost_samples`` and named in ``error``. Reads
that must see earlier writes (the export right after "stop") call :meth:`SessionStore.sync` first.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from presshold.errors import StorageError
from presshold.server.session_reads import (
    ReadConnection,
    SessionReads,
    StoreMissing,
    StoreUnreadable,
)

log = logging.getLogger("presshold.store")

FLUSH_S = 0.5
MAX_BACKLOG = 10_000  # pending write ops kept while the disk fails (~10 min at 1 block/50 ms)

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY, started_at TEXT NOT NULL, ended_at TEXT, duration_s REAL DEFAULT 0,
  label TEXT, notes TEXT, sensor TEXT, settings TEXT, calibration TEXT);
CREATE TABLE IF NOT EXISTS blocks (
  session_id TEXT NOT NULL, t_first REAL NOT NULL, t_last REAL NOT NULL, n INTEGER NOT NULL,
  t_s BLOB NOT NULL, force_n BLOB NOT NULL, raw BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS blocks_by_session ON blocks(session_id, t_first);
CREATE TABLE IF NOT EXISTS events (
  session_id TEXT NOT NULL, t_s REAL NOT NULL, kind TEXT NOT NULL, data TEXT);
CREATE INDEX IF NOT EXISTS events_by_session ON events(session_id, kind);
"""
SYNC_TIMEOUT_S = 1.0  # a read waits at most this long for the writer, then reads what is there
TRANSIENT_CODES = frozenset(
    {
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_PROTOCOL,
        sqlite3.SQLITE_NOMEM,
    }
)
"""Primary SQLite result codes that a later retry can cure (space freed, lock released, disk
back); any other SQLite error is the write's own fault and would fail the same way forever."""
ADDED_COLUMNS = {
    "sessions": {
        "metrics": "TEXT",
        "metrics_samples": "INTEGER",
        "station_id": "TEXT",
        "station_name": "TEXT",
        "client_id": "TEXT",  # the clinic's pseudonymous client id (names stay in the client book)
    }
}
CURSORS = "CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, value TEXT NOT NULL)"


def is_transient(exc: BaseException) -> bool:
    """True for failures of the disk or of concurrency (retry later), False for a write that
    SQLite refuses for good (constraint, bad statement: retrying cannot help)."""
    if isinstance(exc, OSError):
        return True
    if not isinstance(exc, sqlite3.OperationalError):
        return False  # IntegrityError, ProgrammingError, DataError, InterfaceError …
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return True  # an OperationalError without a code: the cautious answer is "retry"
    return (code & 0xFF) in TRANSIENT_CODES


def migrate(con: sqlite3.Connection) -> None:
    """Schema plus columns added since the first release (stores from older versions open)."""
    con.executescript(SCHEMA)
    con.execute(CURSORS)
    for table, cols in ADDED_COLUMNS.items():
        have = {r[1] for r in con.execute(f"PRAGMA table_info({table})")}
        for name, kind in cols.items():
            if name not in have:
                con.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


def connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, check_same_thread=False, timeout=5.0)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    return con


class _Barrier:
    """Queued behind earlier writes: the writer commits at once and releases it (``ok`` if the
    commit succeeded)."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = False

    def release(self, ok: bool) -> None:
        self.ok = ok
        self.done.set()


W = TypeVar("W")


def writer_round(ops: queue.Queue[W | _Barrier | None]) -> tuple[list[W], list[_Barrier], bool]:
    """One round of a store's writer thread (both engines): the writes queued within
    ``FLUSH_S``, cut short when a reader waits at a barrier (commit now, not at the deadline)
    or when ``close`` queued ``None``. Returns (writes, barriers to release once they are
    committed, stop)."""
    writes: list[W] = []
    barriers: list[_Barrier] = []
    deadline = time.monotonic() + FLUSH_S
    while time.monotonic() < deadline:
        try:
            item = ops.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if item is None:
            return writes, barriers, True
        if isinstance(item, _Barrier):
            barriers.append(item)
            break
        writes.append(item)
    return writes, barriers, False


def wait_for_writer(
    thread: threading.Thread | None, ops: queue.Queue[Any], timeout_s: float
) -> bool:
    """Queue a barrier behind every write queued so far and wait until the writer released it;
    False when the writer is not running, its commit failed or ``timeout_s`` passed."""
    if thread is None or not thread.is_alive():
        return False
    barrier = _Barrier()
    ops.put(barrier)
    return barrier.done.wait(timeout_s) and barrier.ok


Op = Callable[[sqlite3.Connection], None]


@dataclass(frozen=True, slots=True)
class _Write:
    run: Op
    sid: str | None = None
    grows: bool = True
    """Adds rows: on a full disk it fails, so once one has failed the later ones just wait."""
    deletes: bool = False
    """Removes session ``sid``: its writes still waiting are dropped with it."""
    samples: int = 0
    """Samples this write stores: what is lost (and reported) if it is ever dropped."""


class SessionStore(SessionReads):
    """Writes go through :meth:`submit` (non-blocking); reads are the shared
    :class:`SessionReads` on short connections of their own (:class:`_SqliteRead`)."""

    def __init__(self, data_dir: Path, max_bytes: int | None = None) -> None:
        """``max_bytes``: an optional quota for the store (a clinic laptop's disk is shared);
        past it, writes fail exactly as on a full disk."""
        self.path = Path(data_dir) / "sessions.sqlite3"
        self.max_bytes = max_bytes
        self.ok = True
        self._failure: str | None = None
        self.lost_samples = 0
        """Samples that were queued but will never be stored (refused writes, backlog cuts)."""
        self.dropped_writes = 0
        self._loss: str | None = None
        self._loss_lock = threading.Lock()  # the loop (backlog full) and the writer both count
        self._ops: queue.Queue[_Write | _Barrier | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._con: sqlite3.Connection | None = None

    @property
    def location(self) -> str:
        """Where sessions are kept (``SessionStoreAPI``)."""
        return str(self.path)

    # --- lifecycle
    def open(self) -> None:
        """Create the schema and close sessions a crash left open; failure → ok=False, not raise."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._con = self._writer_connection()
            self._con.execute(
                "UPDATE sessions SET ended_at = COALESCE(ended_at, 'recovered') "
                "WHERE ended_at IS NULL"
            )
            self._con.commit()
        except (OSError, sqlite3.Error) as exc:
            self._fail(exc)
        self._thread = threading.Thread(target=self._run, name="presshold-store", daemon=True)
        self._thread.start()

    def _writer_connection(self) -> sqlite3.Connection:
        con = connect(self.path)
        migrate(con)
        if self.max_bytes is not None:
            page = con.execute("PRAGMA page_size").fetchone()[0]
            con.execute(f"PRAGMA max_page_count = {max(1, self.max_bytes // page)}")
        return con

    def close(self) -> None:
        """Flush everything queued, then close (Ctrl-C / SIGTERM path)."""
        if self._thread is not None:
            self._ops.put(None)
            self._thread.join(10)
        if self._con is not None:
            self._con.close()

    @property
    def error(self) -> str | None:
        """What is wrong now (writes failing), then what was lost for good (sticky: a person must
        learn that samples are missing even after the disk recovered)."""
        parts = [p for p in (self._failure, self._loss) if p]
        return "; ".join(parts) or None

    def _fail(self, exc: BaseException) -> None:
        self.ok = False
        self._failure = f"cannot write sessions to {self.path.parent}: {exc}"

    def _recovered(self) -> None:
        self.ok, self._failure = True, None

    def _lose(self, writes: list[_Write], why: str) -> None:
        """Drop ``writes`` for good, loudly: logged, counted, and named in ``error``."""
        if not writes:
            return
        samples = sum(w.samples for w in writes)
        with self._loss_lock:
            self.dropped_writes += len(writes)
            self.lost_samples += samples
            self._loss = (
                f"{self.dropped_writes} write(s) dropped, {self.lost_samples} sample(s) not saved "
                f"(last: {why})"
            )
        log.error("session store: %d write(s), %d sample(s) dropped: %s", len(writes), samples, why)

    # --- writer thread
    def submit(
        self,
        op: Op,
        sid: str | None = None,
        grows: bool = True,
        deletes: bool = False,
        samples: int = 0,
    ) -> None:
        """Queue a write; ``grows=False`` for writes that add no rows (updates, deletes)."""
        write = _Write(op, sid, grows, deletes, samples)
        if self._ops.qsize() < MAX_BACKLOG:
            self._ops.put(write)
        else:
            self._fail(StorageError("write backlog full; newest samples are not being saved"))
            self._lose([write], "write backlog full")

    def sync(self, timeout_s: float = SYNC_TIMEOUT_S) -> bool:
        """Block until every write submitted before this call is committed (read-your-writes).

        Blocking: call it from a worker thread, never on the event loop. False when the writer
        is not running, the commit failed (disk full) or ``timeout_s`` passed: the caller then
        reads what is committed — a failing disk delays a read by at most ``timeout_s``."""
        return wait_for_writer(self._thread, self._ops, timeout_s)

    def _run(self) -> None:
        pending: list[_Write] = []
        stop = False
        while not stop:
            writes, barriers, stop = writer_round(self._ops)
            pending += writes
            if pending:
                pending = self._flush(pending)
            for b in barriers:
                b.release(not pending)

    def _flush(self, ops: list[_Write]) -> list[_Write]:
        """Commit ``ops`` as one transaction; if that fails, one by one. Returns what is left
        to retry (only writes that failed transiently, in order)."""
        try:
            if self._con is None:
                self._con = self._writer_connection()
            con = self._con
            with con:
                for w in ops:
                    w.run(con)
        except (OSError, sqlite3.Error) as exc:
            if self._con is None:
                self._fail(exc)
                left = ops
            else:
                left = self._one_by_one(self._con, ops)
        else:
            left = []
        if not left:
            self._recovered()
        if len(left) > MAX_BACKLOG:
            cut = len(left) - MAX_BACKLOG // 2
            self._lose(left[:cut], f"backlog past {MAX_BACKLOG} writes while the disk fails")
            left = left[cut:]
        return left

    def _one_by_one(self, con: sqlite3.Connection, ops: list[_Write]) -> list[_Write]:
        """Each write in its own transaction, in order. Once an insert failed (disk full) later
        inserts are not tried this round (no thousands of doomed transactions), but updates and
        deletes are: a DELETE answered 204 must happen, and it frees the space the inserts need.
        A write refused for good is dropped at once (loudly), never retried."""
        left: list[_Write] = []
        growth_failed = False
        for w in ops:
            if w.grows and growth_failed:
                left.append(w)
                continue
            try:
                with con:
                    w.run(con)
            except (OSError, sqlite3.Error) as exc:
                if not is_transient(exc):
                    self._lose([w], f"refused by SQLite: {exc}")
                    continue
                self._fail(exc)
                left.append(w)
                growth_failed = growth_failed or w.grows
                continue
            if w.deletes:
                left = [x for x in left if x.sid != w.sid]
        return left

    # --- write helpers (called from the event loop)
    def create_session(self, meta: dict[str, Any]) -> None:
        row = (
            meta["id"],
            meta["started_at"],
            meta.get("label"),
            meta.get("notes"),
            meta.get("sensor"),
            json.dumps(meta.get("settings")),
            json.dumps(meta.get("calibration")),
            meta.get("station_id"),
            meta.get("station_name"),
            meta.get("client_id"),
        )
        self.submit(
            lambda c: c.execute(
                "INSERT INTO sessions(id, started_at, label, notes, sensor, settings, calibration,"
                " station_id, station_name, client_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
                row,
            ),
            sid=meta["id"],
        )

    def add_block(self, sid: str, t_s: np.ndarray, force_n: np.ndarray, raw: np.ndarray) -> None:
        row = (
            sid,
            float(t_s[0]),
            float(t_s[-1]),
            len(t_s),
            np.ascontiguousarray(t_s, "<f8").tobytes(),
            np.ascontiguousarray(force_n, "<f8").tobytes(),
            np.ascontiguousarray(raw, "<f8").tobytes(),
        )
        dur = float(t_s[-1])

        def op(c: sqlite3.Connection) -> None:
            c.execute("INSERT INTO blocks VALUES (?,?,?,?,?,?,?)", row)
            c.execute("UPDATE sessions SET duration_s=? WHERE id=?", (dur, sid))

        self.submit(op, sid=sid, samples=len(t_s))

    def add_event(self, sid: str, t_s: float, kind: str, data: dict[str, Any]) -> None:
        row = (sid, t_s, kind, json.dumps(data))
        self.submit(lambda c: c.execute("INSERT INTO events VALUES (?,?,?,?)", row), sid=sid)

    def end_session(self, sid: str, ended_at: str) -> None:
        self.submit(
            lambda c: c.execute("UPDATE sessions SET ended_at=? WHERE id=?", (ended_at, sid)),
            sid=sid,
            grows=False,
        )

    def update_session(self, sid: str, fields: dict[str, Any]) -> None:
        cols = ", ".join(f"{k}=?" for k in fields)
        vals = (*fields.values(), sid)
        self.submit(
            lambda c: c.execute(f"UPDATE sessions SET {cols} WHERE id=?", vals),
            sid=sid,
            grows=False,
        )

    def delete_session(self, sid: str) -> None:
        def op(c: sqlite3.Connection) -> None:
            for table in ("blocks", "events"):
                c.execute(f"DELETE FROM {table} WHERE session_id=?", (sid,))
            c.execute("DELETE FROM sessions WHERE id=?", (sid,))

        self.submit(op, sid=sid, grows=False, deletes=True)

    def set_cursor(self, name: str, value: str) -> None:
        """A position in an input stream (a remote station's sequence number), committed in
        order with the samples before it: once it is committed, they are."""
        self.submit(
            lambda c: c.execute("INSERT OR REPLACE INTO cursors VALUES (?, ?)", (name, value))
        )

    def save_metrics(self, sid: str, samples: int, metrics: dict[str, Any]) -> None:
        """Cache the analysis of a finished session (recomputed if the sample count differs)."""
        row = (json.dumps(metrics), samples, sid)
        self.submit(
            lambda c: c.execute("UPDATE sessions SET metrics=?, metrics_samples=? WHERE id=?", row),
            sid=sid,
            grows=False,
        )

    # --- reads (SessionReads; own connection each call: WAL lets them run beside the writer)
    @contextmanager
    def _read(self) -> Iterator[ReadConnection]:
        """A read connection; any SQLite/OS failure inside the block (a corrupt file, an I/O
        error) becomes :class:`StoreUnreadable`, a clear message instead of a traceback."""
        if not self.path.exists():
            raise StoreMissing(f"no session store at {self.path}")
        try:
            con = connect(self.path)
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnreadable(f"session store unreadable: {self.path}: {exc}") from exc
        con.row_factory = sqlite3.Row
        try:
            yield _SqliteRead(con)
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnreadable(f"session store unreadable: {self.path}: {exc}") from exc
        finally:
            con.close()


class _SqliteRead:
    """:class:`ReadConnection` on SQLite: a cursor already steps through its rows one by one."""

    inserted = "rowid"

    def __init__(self, con: sqlite3.Connection) -> None:
        self._con = con

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._con.execute(sql, params)

    def json_field(self, column: str, key: str) -> str:
        return f"json_extract({column}, '$.{key}')"

    def stream(self, sql: str, params: Sequence[Any] = ()) -> closing[sqlite3.Cursor]:
        return closing(self._con.execute(sql, params))
