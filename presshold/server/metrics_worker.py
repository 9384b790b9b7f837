"""Analyse each session as soon as it ends, off the event loop, and cache it in the store.

The sessions list shows time in band for every ended session without anyone opening its page;
sessions that ended without an analysis (a crash, a shutdown mid-analysis) are done at start-up.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading

from presshold.errors import StorageError
from presshold.server.session_metrics import session_metrics
from presshold.server.store_api import SessionStoreAPI

log = logging.getLogger("presshold.server")


class MetricsWorker:
    """One background thread that analyses ended sessions and caches the result in the store.

    The event loop only queues an id (:meth:`session_ended`); reading the trace and running the
    pipeline (seconds for an 8 h session) happen here, after :meth:`SessionStore.sync` so the
    session's last samples and end are committed."""

    def __init__(self, store: SessionStoreAPI) -> None:
        self.store = store
        self._ids: queue.Queue[str | None] = queue.Queue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="presshold-metrics", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def session_ended(self, sid: str) -> None:
        """Called on the event loop: never blocks."""
        self._ids.put(sid)

    def close(self) -> None:
        """Stop taking work; an analysis in progress is abandoned (redone at the next start)."""
        self._stopping.set()
        self._ids.put(None)

    def _run(self) -> None:
        for sid in self._unanalysed():
            if self._stopping.is_set():
                return
            self._analyse(sid)
        while (sid := self._ids.get()) is not None and not self._stopping.is_set():
            self._analyse(sid)

    def _unanalysed(self) -> list[str]:
        try:
            rows = self.store.list_sessions()
        except (StorageError, sqlite3.Error, OSError):
            return []
        return [
            r["id"] for r in rows if r["ended_at"] and r["samples"] and r["time_in_band_s"] is None
        ]

    def _analyse(self, sid: str) -> None:
        try:
            self.store.sync()
            meta = self.store.get_session(sid)
            if meta is not None and meta["ended_at"] is not None:
                session_metrics(self.store, meta, recording=False)
        except (StorageError, sqlite3.Error, OSError) as exc:
            log.warning("session %s not analysed: %s", sid, exc)
        except Exception:  # a bug here must not stop the analysis of later sessions
            log.exception("session %s not analysed", sid)
