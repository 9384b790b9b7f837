"""The session stores' reads, written once for SQLite and PostgreSQL.

Why one class: the API, the exports and ``presshold migrate`` must get the same answers from
either engine (``tests/support/store_checks.py`` compares them), and two copies of the same SQL
and row shaping drift apart. So the SQL is written here once, in what both engines speak
(``?`` placeholders; JSON decoded in Python, but for the one field a list needs in bulk),
as the trainer's records are (:mod:`presshold.server.trainer.repository`). A store supplies
only a short read connection (:class:`ReadConnection`): how it is opened, what a failure
means, how rows are fetched in batches, and which column numbers rows as they were inserted.

Not :class:`~presshold.server.sql_db.SqlDb`: its one connection under a lock (and SQLite's
``BEGIN IMMEDIATE``) would queue reads behind the writer and behind an export streaming for
minutes; session reads each open their own connection, beside the writer (WAL).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import numpy as np

from presshold.errors import StorageError
from presshold.server.sql_db import Cursor

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]
COUNTED_EVENTS = {"holds": "hold_end", "holds_completed": "hold_complete", "alerts": "alert_start"}
BLOCKS_IN_RANGE = (
    "SELECT t_s, force_n, raw FROM blocks WHERE session_id = ? AND t_last >= ?"
    " AND t_first <= ? ORDER BY t_first"
)
"""The sample blocks that overlap a time range, in time order (trimmed exactly in Python)."""


class StoreMissing(StorageError):
    """No store file yet (nothing recorded, or the data directory could not be created)."""


class StoreUnreadable(StorageError):
    """The store exists but the engine or the OS cannot read it (corrupt file, I/O error,
    database down)."""


class ReadConnection(Protocol):
    """One short read connection of a store; SQL with ``?`` placeholders, rows read by column
    name. Its failures surface as :class:`StoreUnreadable` where the store opened it."""

    inserted: str
    """The column that numbers a table's rows in the order they were inserted (SQLite's
    ``rowid``, PostgreSQL's ``created``): the tie-break that makes both engines order alike."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    def json_field(self, column: str, key: str) -> str:
        """SQL for the value of ``key`` in the JSON object of text ``column`` (``NULL`` if
        absent): the one JSON function the engines spell differently."""
        ...

    def stream(self, sql: str, params: Sequence[Any] = ()) -> AbstractContextManager[Iterable[Any]]:
        """The rows of ``sql`` fetched a batch at a time, never all at once (an 8 h export)."""
        ...


class SessionReads:
    """The read half of :class:`~presshold.server.store_api.SessionStoreAPI`, for a store that
    provides :meth:`_read`. Blocking: call from a worker thread."""

    def _read(self) -> AbstractContextManager[ReadConnection]:
        """A short read connection; raises StoreMissing / StoreUnreadable."""
        raise NotImplementedError

    def cursor(self, name: str) -> str | None:
        """The last committed ``set_cursor`` value (``None``: none, or no store yet)."""
        try:
            with self._read() as con:
                r = con.execute("SELECT value FROM cursors WHERE name = ?", (name,)).fetchone()
        except StoreMissing:
            return None
        return None if r is None else str(r["value"])

    def cached_metrics(self, sid: str, samples: int) -> dict[str, Any] | None:
        """The saved analysis, if it was computed over exactly ``samples`` samples."""
        with self._read() as con:
            r = con.execute(
                "SELECT metrics, metrics_samples FROM sessions WHERE id = ?", (sid,)
            ).fetchone()
        if r is None or r["metrics"] is None or r["metrics_samples"] != samples:
            return None
        return json.loads(r["metrics"])  # type: ignore[no-any-return]

    def list_sessions(self) -> list[dict[str, Any]]:
        """Newest first, with counts from the events table and cached metrics when known."""
        counts = ", ".join(
            f"(SELECT COUNT(*) FROM events e WHERE e.session_id = s.id AND e.kind = '{kind}') "
            f"AS {name}"
            for name, kind in COUNTED_EVENTS.items()
        )
        with self._read() as con:
            seq = con.inserted
            rows = con.execute(
                f"SELECT s.*, {counts}, (SELECT COALESCE(SUM(n), 0) FROM blocks b"
                " WHERE b.session_id = s.id) AS samples, (SELECT e.data FROM events e"
                " WHERE e.session_id = s.id AND e.kind = 'imported'"
                f" ORDER BY e.t_s, e.{seq} LIMIT 1) AS imported"
                f" FROM sessions s ORDER BY s.started_at DESC, s.{seq} DESC"
            ).fetchall()
            points = con.execute(  # CROSS JOIN: SQLite then finds each session's marks by
                # the index instead of scanning every event (PostgreSQL plans it as any join)
                f"SELECT e.session_id, {con.json_field('e.data', 'label')} AS point"
                " FROM sessions s CROSS JOIN events e WHERE e.session_id = s.id"
                f" AND e.kind = 'mark' ORDER BY e.t_s, e.{seq}"
            ).fetchall()
        labels = _points(points)
        out = []
        for r in rows:
            meta = row_meta(r)
            fresh = r["metrics"] and r["metrics_samples"] == r["samples"]
            cached = json.loads(r["metrics"]).get("metrics", {}) if fresh else {}
            # one computation everywhere (issue 11): a session analysed over all its samples
            # shows the analysis' counts, exactly as its page does; the live event counts
            # stand in only until then (recording, or not yet analysed)
            meta.update({name: int(cached.get(name, r[name])) for name in COUNTED_EVENTS})
            meta["samples"] = int(r["samples"])
            meta["time_in_band_s"] = cached.get("time_in_band_s")
            meta["imported_from"] = (
                json.loads(r["imported"]).get("source") if r["imported"] else None
            )
            meta["points"] = labels.get(meta["id"], [])
            out.append(meta)
        return out

    def get_session(self, sid: str) -> dict[str, Any] | None:
        """A session with its sample count and its events in time order (ties: as written)."""
        with self._read() as con:
            r = con.execute("SELECT * FROM sessions WHERE id = ?", (sid,)).fetchone()
            if r is None:
                return None
            n = con.execute(
                "SELECT COALESCE(SUM(n), 0) AS n FROM blocks WHERE session_id = ?", (sid,)
            ).fetchone()["n"]
            events = con.execute(
                "SELECT t_s, kind, data FROM events WHERE session_id = ?"
                f" ORDER BY t_s, {con.inserted}",
                (sid,),
            ).fetchall()
        meta = row_meta(r)
        meta["samples"] = int(n)
        meta["events"] = [
            {"t_s": e["t_s"], "kind": e["kind"], **json.loads(e["data"] or "{}")} for e in events
        ]
        meta["marks"] = [e for e in meta["events"] if e["kind"] == "mark"]
        imported = [e for e in meta["events"] if e["kind"] == "imported"]
        meta["imported_from"] = imported[0].get("source") if imported else None
        return meta

    def samples(self, sid: str, from_s: float | None = None, to_s: float | None = None) -> Arrays:
        """Stored samples of a session, time-ordered: (t_s, force_n, raw); only the blocks that
        overlap ``[from_s, to_s]`` are read, then trimmed exactly."""
        lo, hi = _bounds(from_s, to_s)
        with self._read() as con:
            rows = con.execute(BLOCKS_IN_RANGE, (sid, lo, hi)).fetchall()
        if not rows:
            empty = np.zeros(0)
            return empty, empty, empty
        t, f, raw = (
            np.concatenate([np.frombuffer(r[col], "<f8") for r in rows])
            for col in ("t_s", "force_n", "raw")
        )
        if from_s is None and to_s is None:
            return t, f, raw
        keep = slice(np.searchsorted(t, lo), np.searchsorted(t, hi, side="right"))
        return t[keep], f[keep], raw[keep]

    def extent(
        self, sid: str, from_s: float | None = None, to_s: float | None = None
    ) -> tuple[int, float | None, float | None]:
        """(samples in the blocks overlapping the range — an upper bound —, first t, last t)."""
        lo, hi = _bounds(from_s, to_s)
        with self._read() as con:
            r = con.execute(
                "SELECT COALESCE(SUM(n), 0) AS n, MIN(t_first) AS t0, MAX(t_last) AS t1"
                " FROM blocks WHERE session_id = ? AND t_last >= ? AND t_first <= ?",
                (sid, lo, hi),
            ).fetchone()
        return int(r["n"]), r["t0"], r["t1"]

    def iter_samples(
        self,
        sid: str,
        chunk: int = 50_000,
        from_s: float | None = None,
        to_s: float | None = None,
    ) -> Iterator[Arrays]:
        """Stored samples in time order (optionally within ``[from_s, to_s]``), ``chunk``-ish at
        a time: exports of 8 h at 1 kHz (28.8 M samples) never hold the whole trace in memory."""
        lo, hi = _bounds(from_s, to_s)
        with self._read() as con, con.stream(BLOCKS_IN_RANGE, (sid, lo, hi)) as rows:
            parts: list[tuple[bytes, bytes, bytes]] = []
            have = 0
            for row in rows:
                parts.append((row["t_s"], row["force_n"], row["raw"]))
                have += len(row["t_s"]) // 8
                if have >= chunk:
                    yield _join(parts, lo, hi)
                    parts, have = [], 0
            if parts:
                yield _join(parts, lo, hi)


def row_meta(r: Any) -> dict[str, Any]:
    """A session row as the API shows it (any row indexable by column name)."""
    return {
        "id": r["id"],
        "started_at": r["started_at"],
        "ended_at": r["ended_at"],
        "duration_s": r["duration_s"] or 0.0,
        "label": r["label"],
        "notes": r["notes"],
        "sensor": r["sensor"],
        "settings": json.loads(r["settings"] or "null"),
        "calibration": json.loads(r["calibration"] or "null"),
        "station_id": r["station_id"],
        "station_name": r["station_name"],
        "client_id": r["client_id"],
    }


def _points(rows: Iterable[Any]) -> dict[str, list[Any]]:
    """Each session's distinct mark labels, in the order first marked (as its page titles
    it), from rows of (session_id, point) in time order."""
    seen: dict[str, dict[Any, None]] = {}
    for r in rows:
        if r["point"]:
            seen.setdefault(r["session_id"], {})[r["point"]] = None
    return {sid: list(points) for sid, points in seen.items()}


def _bounds(from_s: float | None, to_s: float | None) -> tuple[float, float]:
    return (-np.inf if from_s is None else from_s), (np.inf if to_s is None else to_s)


def _join(parts: list[tuple[bytes, bytes, bytes]], lo: float, hi: float) -> Arrays:
    t, f, raw = (np.frombuffer(b"".join(p[i] for p in parts), "<f8") for i in range(3))
    if lo > t[0] or hi < t[-1]:
        keep = slice(np.searchsorted(t, lo), np.searchsorted(t, hi, side="right"))
        t, f, raw = t[keep], f[keep], raw[keep]
    return t, f, raw
