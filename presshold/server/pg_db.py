"""The records database of a hub with ``--store postgresql://…``: :class:`SqlDb` on psycopg 3.

The tables are :mod:`pg_schema`'s, migrated here or by the session store, whichever connects
first (both under the schema's advisory lock). Imported only for ``--store postgresql``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row

from presshold import urls
from presshold.errors import StorageError
from presshold.server import pg_schema
from presshold.server.pg_store import DatabaseDown, Qmark, close_quietly, connect, describe
from presshold.server.sql_db import Tx

log = logging.getLogger("presshold.server")


class PgDb:
    """The hub's PostgreSQL database (the tables are ``pg_schema``'s, migrated here or by the
    session store, whichever connects first).

    One connection, opened when first needed and again after the database went away: a call
    while it is down answers StorageError at once (connect timeout 3 s), and the first call
    after it is back reconnects. A connection found dead when its transaction begins (the
    server restarted since the last call) is replaced and the call goes on, since nothing of
    it ran yet; a failure later in the transaction rolls it back whole and is reported."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.location = urls.mask(url)
        self._lock = threading.Lock()
        self._con: psycopg.Connection[Any] | None = None
        self._migrated = False

    def open(self) -> None:
        with self._lock:
            self._connection()

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _fail(self, exc: BaseException) -> StorageError:
        return StorageError(f"records database {self.location} unavailable: {describe(exc)}")

    def _connection(self) -> psycopg.Connection[Any]:
        if self._con is not None and not self._con.closed:
            return self._con
        try:
            con = connect(self.url, autocommit=True)
        except DatabaseDown as exc:
            raise StorageError(f"records database {self.location} unavailable: {exc}") from None
        try:
            if not self._migrated:
                pg_schema.migrate(con)
                self._migrated = True
        except psycopg.Error as exc:
            con.close()
            raise self._fail(exc) from None
        except BaseException:  # a schema newer than this program (StorageError)
            con.close()
            raise
        con.row_factory = dict_row  # type: ignore[assignment]
        self._con = con
        return con

    def _drop(self) -> None:
        close_quietly(self._con)
        self._con = None

    def _begin(self) -> psycopg.Connection[Any]:
        for attempt in (1, 2):
            con = self._connection()
            try:
                con.execute("BEGIN")
                return con
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                self._drop()
                if attempt == 2:
                    raise self._fail(exc) from None
                log.info("records database connection lost; reconnecting")
        raise AssertionError("unreachable")

    @contextmanager
    def tx(self) -> Iterator[Tx]:
        with self._lock:
            con = self._begin()
            try:
                yield Qmark(con)
                con.execute("COMMIT")
            except psycopg.Error as exc:
                self._end_badly(con, exc)
                raise self._fail(exc) from None
            except BaseException:
                self._end_badly(con, None)
                raise

    def _end_badly(self, con: psycopg.Connection[Any], exc: BaseException | None) -> None:
        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
            self._drop()  # the server went away: the next call reconnects
            return
        try:
            con.execute("ROLLBACK")
        except psycopg.Error:
            self._drop()
