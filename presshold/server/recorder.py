"""Session lifecycle: auto-start when a sensor streams, idle end, explicit start/stop, marks, gaps.

Every sample that reaches the station while a session is open is written. Samples are gathered
for ``BLOCK_S`` and handed to the store as one block (one row): the live path ingests as often as
every 5 ms, and a row per ingest would cost the store far more than the samples. Times stored are
session seconds: host ``time.monotonic()`` minus the session's start.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from presshold.firmware_bridge.source import ReadingBatch
from presshold.server.live import merge
from presshold.server.store_api import SessionStoreAPI

BLOCK_S = 0.05


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_last_id = ""


def new_session_id() -> str:
    """Local start time to the microsecond, then 16 random bits: ``20261129-131800-042317-9f3a``.

    Collision-free, not merely unlikely to collide: within a process each id sorts strictly
    after the last one (a clock that did not move, or moved back, gives the last id + 1 µs), and
    only one process writes a data directory (its lock). The random tail covers a wall clock
    set back between two runs."""
    global _last_id
    stamp = datetime.now()
    if _last_id and stamp.strftime("%Y%m%d-%H%M%S-%f") <= _last_id[:22]:
        stamp = datetime.strptime(_last_id[:22], "%Y%m%d-%H%M%S-%f") + timedelta(microseconds=1)
    _last_id = stamp.strftime("%Y%m%d-%H%M%S-%f-") + secrets.token_hex(2)
    return _last_id


class Recorder:
    """Owned by a station and called on the event loop only (no locks needed)."""

    def __init__(
        self,
        store: SessionStoreAPI,
        auto_start: bool = True,
        on_end: Callable[[str], None] | None = None,
    ) -> None:
        """``on_end(session_id)`` is called (on the loop) after each session ends."""
        self.store = store
        self.on_end = on_end
        self.auto_start = auto_start
        self.session: dict[str, Any] | None = None
        self.t0 = time.monotonic()
        self.last_sample = 0.0
        self.stopped_by_user = False
        self._unwritten: list[ReadingBatch] = []
        self._last_write = 0.0
        self._first_block = False

    @property
    def recording(self) -> bool:
        return self.session is not None

    def start(
        self,
        *,
        label: str | None = None,
        notes: str | None = None,
        first_t_s: float | None = None,
        **meta: Any,
    ) -> dict:
        """Begin a session now (ending any current one). ``first_t_s``: the monotonic stamp of the
        batch that auto-starts it — readings are stamped before they are ingested, so the session
        starts at that stamp and its first sample is at t_s = 0, never negative."""
        if self.session is not None:
            self.stop()
        now = time.monotonic()
        self.t0 = now if first_t_s is None else min(now, first_t_s)
        self.last_sample = now  # idle time counts from the start
        self.session = {
            "id": new_session_id(),
            "recording": True,
            "started_at": _now_iso(),
            "label": label,
            "notes": notes,
            "point": None,
        }
        self.store.create_session({**self.session, **meta})
        self.stopped_by_user = False
        self._first_block = True
        self.event(0.0, "session_start", {})
        return self.session

    def stop(self, *, by_user: bool = False) -> dict[str, Any] | None:
        ended = self.session
        if ended is not None:
            self.flush()
            self.event(time.monotonic() - self.t0, "session_end", {})
            self.store.end_session(ended["id"], _now_iso())
            self.session = None
            if self.on_end is not None:
                self.on_end(ended["id"])
        self.stopped_by_user = by_user or self.stopped_by_user
        return ended

    def ingest(
        self, batch: ReadingBatch, connected: bool, meta: Callable[[], dict[str, Any]]
    ) -> None:
        """Store the batch; auto-start a session (with ``meta()``) when a sensor streams."""
        if len(batch) == 0:
            return
        self.last_sample = time.monotonic()
        if self.session is None and self.auto_start and connected and not self.stopped_by_user:
            self.start(first_t_s=float(batch.t_s[0]), **meta())
        if self.session is not None:
            if self._first_block and batch.t_s[0] < self.t0:
                # stamped before an explicit start but delivered after it (parked while the
                # start ran, or a device's burst): the session starts at its first sample, so
                # every t_s is >= 0 and nothing is dropped (issue 11); the station follows t0
                self.t0 = float(batch.t_s[0])
            self._first_block = False
            self._unwritten.append(batch)
            if self.last_sample - self._last_write >= BLOCK_S:
                self.flush()

    def flush(self) -> None:
        """Hand the samples gathered so far to the store as one block."""
        self._last_write = time.monotonic()
        if not self._unwritten or self.session is None:
            self._unwritten = []
            return
        batch, self._unwritten = merge(self._unwritten), []
        self.store.add_block(self.session["id"], batch.t_s - self.t0, batch.force_n, batch.raw)

    def check_idle(self, idle_end_s: float) -> bool:
        """End the session when no sample arrived for ``idle_end_s``; True if it ended."""
        if self.session is not None and time.monotonic() - self.last_sample > idle_end_s:
            self.stop()
            self.stopped_by_user = False
            return True
        return False

    def event(self, t_s: float, kind: str, data: dict[str, Any]) -> None:
        if self.session is not None:
            self.store.add_event(self.session["id"], t_s, kind, data)
