"""What the server needs from a session store, whichever engine keeps the sessions.

Two implementations: :class:`presshold.server.store.SessionStore` (SQLite in the data
directory, the single-laptop default) and :class:`presshold.server.pg_store.PgSessionStore`
(PostgreSQL, for a school or a clinic chain). Both keep the promises of ``docs/storage.md``:
writes never block the event loop (one writer thread), commits at most ``FLUSH_S`` apart, a
failing engine is reported through ``ok``/``error`` while a bounded backlog waits, and
:meth:`sync` gives read-your-writes. Reads raise ``StoreMissing`` / ``StoreUnreadable``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]
"""(t_s, force_n, raw), float64, time-ordered."""


class SessionStoreAPI(Protocol):
    ok: bool
    """False while writes fail (disk full, database down); ``error`` says why."""
    error: str | None

    @property
    def location(self) -> str:
        """Where sessions are kept, safe to show (a file path, or a URL without a password)."""
        ...

    # lifecycle
    def open(self) -> None: ...
    def close(self) -> None: ...
    def sync(self, timeout_s: float = ...) -> bool: ...

    # writes (non-blocking; called from the event loop)
    def create_session(self, meta: dict[str, Any]) -> None: ...
    def add_block(
        self, sid: str, t_s: np.ndarray, force_n: np.ndarray, raw: np.ndarray
    ) -> None: ...
    def add_event(self, sid: str, t_s: float, kind: str, data: dict[str, Any]) -> None: ...
    def end_session(self, sid: str, ended_at: str) -> None: ...
    def update_session(self, sid: str, fields: dict[str, Any]) -> None: ...
    def delete_session(self, sid: str) -> None: ...
    def save_metrics(self, sid: str, samples: int, metrics: dict[str, Any]) -> None: ...
    def set_cursor(self, name: str, value: str) -> None:
        """Remember a position in an input stream, committed in order with earlier writes."""
        ...

    # reads (blocking; call from a worker thread)
    def cursor(self, name: str) -> str | None: ...
    def cached_metrics(self, sid: str, samples: int) -> dict[str, Any] | None: ...
    def list_sessions(self) -> list[dict[str, Any]]: ...
    def get_session(self, sid: str) -> dict[str, Any] | None: ...
    def samples(
        self, sid: str, from_s: float | None = None, to_s: float | None = None
    ) -> Arrays: ...
    def extent(
        self, sid: str, from_s: float | None = None, to_s: float | None = None
    ) -> tuple[int, float | None, float | None]: ...
    def iter_samples(
        self,
        sid: str,
        chunk: int = 50_000,
        from_s: float | None = None,
        to_s: float | None = None,
    ) -> Iterator[Arrays]: ...
