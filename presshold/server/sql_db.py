"""One SQL database for the records beside the sessions (students, runs, trials, references,
custom protocols, clients): :class:`SqliteDb` in the data dir, or the hub's PostgreSQL database
(:class:`presshold.server.pg_db.PgDb`, imported only with ``--store postgresql://…``).

Why an adapter this small: the repositories write their SQL once, in the subset both engines
speak (``?`` placeholders, ``INSERT … ON CONFLICT (id) DO UPDATE``, ordering done in Python),
so one repository class serves both. What differs is only how a connection is opened, how a
transaction is begun and ended, and what a failure means; that is all a :class:`SqlDb` does.

Every call of a repository is one transaction (:meth:`SqlDb.tx`), so a failure leaves nothing
half-written; a failing engine raises :class:`~presshold.errors.StorageError` (HTTP 503) with a
message that names the problem and never a password. Calls are synchronous and short and come
from worker threads: each implementation holds one connection and serialises transactions
under a lock.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from presshold.errors import StorageError


class Cursor(Protocol):
    """What a statement returns on both engines; rows are read by column name."""

    rowcount: int

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Tx(Protocol):
    """One open transaction: SQL with ``?`` placeholders."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...


class SqlDb(Protocol):
    location: str
    """Where the records are, safe to show (a file path, or a URL without its password)."""

    def open(self) -> None:
        """Create or migrate the tables; raises StorageError when the engine fails."""
        ...

    def close(self) -> None: ...
    def tx(self) -> AbstractContextManager[Tx]:
        """One transaction, committed when the block ends, rolled back when it raises."""
        ...


class SqliteDb:
    """A SQLite file, owner-only (it holds names and notes about people), in WAL mode."""

    def __init__(self, path: Path, schema: str, upgrades: Sequence[str] = ()) -> None:
        """``upgrades``: ``ALTER TABLE … ADD COLUMN`` statements for files made by earlier
        versions; one that finds its column already there is skipped."""
        self.path = Path(path)
        self.location = str(self.path)
        self._schema, self._upgrades = schema, upgrades
        self._lock = threading.Lock()
        self._con: sqlite3.Connection | None = None

    def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)  # owner-only from birth
                os.close(fd)
            con = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA foreign_keys=ON")
            con.executescript(self._schema)
            for sql in self._upgrades:
                try:
                    con.execute(sql)
                except sqlite3.OperationalError as exc:
                    if "duplicate column" not in str(exc):
                        raise
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open {self.path}: {exc}") from None
        self._con = con

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    @contextmanager
    def tx(self) -> Iterator[Tx]:
        if self._con is None:
            raise StorageError(f"{self.path.name} is not open")
        with self._lock:
            con = self._con
            try:
                con.execute("BEGIN IMMEDIATE")
                yield con
                con.execute("COMMIT")
            except sqlite3.Error as exc:
                _rollback(con)
                raise StorageError(f"{self.path.name}: {exc}") from None
            except BaseException:
                _rollback(con)
                raise


def _rollback(con: sqlite3.Connection) -> None:
    if con.in_transaction:
        con.execute("ROLLBACK")
