"""Recorded sessions as a service: list, read, edit, delete, trace and analysis.

The routes call this; it knows the store and which station is recording which session (a
recording session is partly in memory: its label edits, its live time in band). Reads are
blocking (SQLite in the caller's thread): async routes run them with ``asyncio.to_thread``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from presshold.errors import Conflict, NotFound
from presshold.server.session_metrics import session_metrics
from presshold.server.station import Station
from presshold.server.stations import StationRegistry
from presshold.server.store import StoreMissing
from presshold.server.store_api import SessionStoreAPI
from presshold.server.trace import read_trace


class SessionArchive:
    def __init__(
        self,
        store: SessionStoreAPI,
        stations: StationRegistry,
        analyse: Callable[[str], None] | None = None,
    ) -> None:
        """``analyse(session_id)`` queues the analysis of a session added whole (an import)."""
        self.store = store
        self.stations = stations
        self.analyse = analyse

    def recording_station(self, sid: str) -> Station | None:
        return next((s for s in self.stations if s.is_recording(sid)), None)

    def list(
        self, station_id: str | None = None, client_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Newest first; ended sessions carry their cached analysis, recording ones the live
        pipeline's running time in band."""
        self.store.sync()
        try:
            rows = self.store.list_sessions()
        except StoreMissing:  # nothing recorded yet; StoreUnreadable → 503 with its message
            return []
        if station_id is not None:
            rows = [r for r in rows if r.get("station_id") == station_id]
        if client_id is not None:
            rows = [r for r in rows if r.get("client_id") == client_id]
        for row in rows:
            live = self.recording_station(row["id"])
            if live is not None:
                row["time_in_band_s"] = round(live.feed.pipeline.summary().time_in_band_s, 3)
        return rows

    def meta(self, sid: str) -> dict[str, Any]:
        """Stored metadata and events, after every earlier write is committed; if the store
        cannot write, the recording session from memory."""
        self.store.sync()
        try:
            meta = self.store.get_session(sid)
            missing = f"no session {sid!r}"
        except StoreMissing as exc:  # no store file: the data directory is not writable
            meta, missing = None, str(exc)
        live = self.recording_station(sid)
        if meta is None and live is not None and live.recorder.session is not None:
            meta = {
                **live.session_meta(),
                **live.recorder.session,
                **{"ended_at": None, "duration_s": 0.0, "samples": 0, "events": [], "marks": []},
            }
        if meta is None:
            raise NotFound(missing)
        return meta

    def metrics(self, meta: dict[str, Any]) -> dict[str, Any]:
        return session_metrics(self.store, meta, self.recording_station(meta["id"]) is not None)

    def detail(self, sid: str) -> dict[str, Any]:
        meta = self.meta(sid)
        return {**meta, **self.metrics(meta)}

    def update(self, sid: str, fields: dict[str, Any]) -> None:
        """Label/notes; the recording station's viewers see the change (call on the loop after
        :meth:`meta` checked the session exists)."""
        if not fields:
            return
        self.store.update_session(sid, fields)
        live = self.recording_station(sid)
        if live is not None:
            live.session_edited(sid, fields)

    def delete(self, sid: str) -> None:
        if self.recording_station(sid) is not None:
            raise Conflict("stop the recording session before deleting it")
        self.store.delete_session(sid)

    def trace(
        self, sid: str, from_s: float | None, to_s: float | None, max_points: int
    ) -> dict[str, Any]:
        self.meta(sid)
        return read_trace(self.store, sid, from_s, to_s, max_points)
