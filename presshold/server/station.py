"""A station: one sensor with its own settings, calibration, pipeline, recorder and viewers.

:class:`Station` is the service the routes call — start, stop, mark, rename, tare, calibrate,
apply settings — so no route reaches into the recorder or the live feed. It lives on the event
loop; the only entries from other threads are :meth:`on_readings` and :meth:`on_status` (the
source's reader thread), which only park data and schedule the loop. A fault at one station (an
unplug, garbage, a bug in a tick) never reaches another: each has its own source, inbox, feed and
recorder, and the registry runs each station's housekeeping in its own ``try``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, Protocol

import numpy as np
from pydantic import ValidationError

from presshold.errors import CalibrationError, ConfigError, Conflict, NotSaved
from presshold.firmware_bridge.source import ReadingBatch, Source, SourceStatus
from presshold.server.handoff import Handoff
from presshold.server.live import MIN_INGEST_INTERVAL_S, Inbox, LiveFeed
from presshold.server.recorder import Recorder
from presshold.server.station_book import StationBook
from presshold.server.store_api import SessionStoreAPI
from presshold.server.viewers import Viewer
from presshold.signal.pipeline import BlockResult
from presshold.treatment import SettingsPatch, TreatmentSettings, describe

log = logging.getLogger("presshold.server")


class TrainerHook(Protocol):
    """Trainer mode at this station (presshold.server.trainer.service.StationTrainer): it sees
    every processed block and clock tick, and adds the student and run to the tile."""

    student_id: str | None

    @property
    def running(self) -> bool: ...

    def on_block(self, batch: ReadingBatch, result: BlockResult) -> None: ...

    def tick(self, now: float) -> None: ...

    def tile(self) -> dict[str, Any]: ...


class Station:
    """One sensor's live service (see module docstring)."""

    def __init__(
        self,
        *,
        station_id: str,
        name: str,
        spec: str,
        source: Source,
        settings: TreatmentSettings,
        store: SessionStoreAPI,
        book: StationBook,
        loop: asyncio.AbstractEventLoop,
        on_session_end: Callable[[str], None] | None = None,
    ) -> None:
        self.id = station_id
        self.name = name
        self.spec = spec
        self.source = source
        self.settings = settings
        self.book = book
        self.loop = loop
        self.recorder = Recorder(store, on_end=on_session_end)
        self.feed = LiveFeed(loop, settings.to_hold_params())
        self.inbox = Inbox(loop, self._wake)
        self._handoff = Handoff.of(loop)
        self._remote_ingest_due = False
        self.status: SourceStatus = source.status
        self._last_ingest = 0.0
        self._deferred: asyncio.TimerHandle | None = None
        self._storage_seen = (store.ok, store.error)
        self.trainer: TrainerHook | None = None
        self.client_id: str | None = None  # the client on the table (presshold.clinic)
        self._follow_settings()

    # --- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        self.source.start(self)

    async def stop(self) -> None:
        """Stop the source, record what it parked, end the session (the store is flushed by
        the registry after every station stopped)."""
        await asyncio.to_thread(self.source.stop)
        self.ingest_parked()
        self.recorder.stop()

    # --- reader thread -> loop -----------------------------------------------------------
    def on_readings(self, batch: ReadingBatch) -> None:
        self.inbox.put(batch)

    def on_remote_batch(self, batch: ReadingBatch, live: bool) -> None:
        """A remote station's batch (``presshold.server.remote_source``), in sequence order;
        ``live=False``: sent late after an outage, recorded but not shown as live. One FIFO
        for both kinds and the status keeps them in order on the loop (:class:`Handoff`: one
        wake-up for a burst of batches from every station)."""
        self._handoff.post(self._remote_batch, batch, live)

    def _remote_batch(self, batch: ReadingBatch, live: bool) -> None:
        if live:
            # already on the loop and batched by the station: ingested on the next loop turn,
            # with the batches of this burst, not held back by the serial ingest cap
            self.inbox.park(batch)
            if not self._remote_ingest_due:
                self._remote_ingest_due = True
                self.loop.call_soon(self._ingest_remote)
            return
        self.ingest_parked()  # what was parked before it is older
        was_recording = self.recorder.recording
        self.recorder.ingest(batch, True, self.session_meta)
        if self.recorder.recording and not was_recording:
            self._session_started()

    def _ingest_remote(self) -> None:
        self._remote_ingest_due = False
        self.ingest_parked()

    def on_status(self, status: SourceStatus) -> None:
        self._handoff.post(self._set_status, status)

    def on_button(self, t_s: float, pressed: bool) -> None:
        """The patient button changed (reader thread; ``t_s`` on the host monotonic clock)."""
        if pressed:
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self._button_pressed, t_s)

    def _button_pressed(self, t_host: float) -> None:
        """On the loop: readings parked before the press are ingested first (the first block
        may move the session's start back), then the press gets its session time."""
        self.ingest_parked()
        self.patient_signal(t_host - self.feed.t0)

    def _wake(self) -> None:
        wait = self._last_ingest + MIN_INGEST_INTERVAL_S - time.monotonic()
        if wait <= 0:
            self.ingest_parked()
        elif self._deferred is None:
            self._deferred = self.loop.call_later(wait, self.ingest_parked)

    def ingest_parked(self) -> None:
        """Ingest everything the source parked, as one block (also before start/stop/mark, so
        readings that arrived before a request belong to the right side of it)."""
        if self._deferred is not None:
            self._deferred.cancel()
            self._deferred = None
        self._last_ingest = time.monotonic()
        batch = self.inbox.take()
        if batch is not None and len(batch):
            self._ingest(batch)

    def _ingest(self, batch: ReadingBatch) -> None:
        was_recording = self.recorder.recording
        self.recorder.ingest(batch, self.status.connected, self.session_meta)
        if self.recorder.recording and not was_recording:
            self._session_started()
        if self.recorder.recording:
            self.feed.t0 = self.recorder.t0  # it may start at its first sample (Recorder.ingest)
        result = self.feed.process(batch)
        if self.trainer is not None:  # before the events go out: a run may withhold them
            self.trainer.on_block(batch, result)
        for ev in result.events:
            self.recorder.event(ev.t_s, ev.kind, ev.data)
            self.feed.broadcast(
                {"type": "event", "kind": ev.kind, "t_s": round(ev.t_s, 4), **ev.data}
            )
        self.feed.frame_due()

    def _set_status(self, status: SourceStatus) -> None:
        if self.status.connected and not status.connected:
            self.ingest_parked()
            t = self.feed.now_s()
            self.recorder.event(t, "gap", {"reason": status.message or "disconnected"})
            self.feed.broadcast({"type": "event", "kind": "gap", "t_s": round(t, 4)})
        self.status = status
        self.broadcast_status()

    # --- sessions ------------------------------------------------------------------------
    def session_meta(self) -> dict[str, Any]:
        """What a new session copies into its row: sensor, settings, calibration, station."""
        calibration = {**self.source.calibration.to_dict(), "unit": self.status.unit}
        return {
            "sensor": self.status.sensor,
            "settings": self.settings.model_dump(),
            "calibration": calibration,
            "station_id": self.id,
            "station_name": self.name,
            "client_id": self.client_id,
        }

    def _session_started(self) -> None:
        if self.recorder.session is not None:
            self.recorder.session["client_id"] = self.client_id
        self.feed.restart_time_base(self.recorder.t0)
        self.feed.broadcast({"type": "event", "kind": "session_start", "t_s": 0.0})
        self.broadcast_status()

    def is_recording(self, sid: str) -> bool:
        current = self.recorder.session
        return current is not None and current["id"] == sid

    def start_session(self, label: str | None = None, notes: str | None = None) -> dict[str, Any]:
        """Begin a session now (ending the current one)."""
        self.ingest_parked()  # readings that arrived before this request stay with the old one
        session = self.recorder.start(label=label, notes=notes, **self.session_meta())
        self._session_started()
        return session

    def stop_session(self) -> dict[str, Any]:
        self.ingest_parked()  # every reading that arrived before "stop" belongs to the session
        ended = self.recorder.stop(by_user=True)
        if ended is None:
            raise Conflict("no session is recording")
        self.broadcast_status()
        return {**ended, "recording": False}

    def mark(self, sid: str, label: str, side: str | None, t_s: float | None) -> dict[str, Any]:
        """A point label ("upper trapezius", L) on the recording session, shown as its point."""
        current = self.recorder.session
        if current is None or current["id"] != sid:
            raise Conflict("marks can only be added to the recording session")
        self.ingest_parked()
        t = t_s if t_s is not None else time.monotonic() - self.recorder.t0
        data = {"label": label, "side": side}
        self.recorder.event(t, "mark", data)
        current["point"] = label + (f" {side}" if side else "")
        self.feed.broadcast({"type": "event", "kind": "mark", "t_s": round(t, 4), **data})
        self.broadcast_status()
        return {"t_s": t, "kind": "mark", **data}

    def set_client(self, client_id: str | None, claim_recording: bool = True) -> None:
        """The client on the table; their sessions carry ``client_id``. With ``claim_recording``
        the recording session becomes theirs: one without a client is claimed, one of another
        client ends and a new one starts (a session belongs to one person). The choice is
        noted in the station book for the next start (:meth:`save_book` writes it)."""
        self.client_id = client_id
        self.book.set_client(self.id, client_id)
        current = self.recorder.session
        if claim_recording and client_id is not None and current is not None:
            if current.get("client_id") is None:
                current["client_id"] = client_id
                self.recorder.store.update_session(current["id"], {"client_id": client_id})
            elif current["client_id"] != client_id:
                self.start_session()
        self.broadcast_status()

    # --- the client's own signal (presshold.clinic) ----------------------------------------
    def patient_signal(self, t_s: float | None = None, source: str = "button") -> dict[str, Any]:
        """The client pressed their button (or the therapist relayed it): recorded on the
        recording session, and every viewer shows the cue at once, recording or not."""
        self.ingest_parked()  # the samples before the press are on the trace first
        t = self.feed.now_s() if t_s is None else t_s
        event = {"t_s": round(t, 4), "kind": "patient_signal", "source": source}
        self.recorder.event(t, "patient_signal", {"source": source})
        self.feed.broadcast({"type": "event", **event})
        return event

    def discomfort(
        self, sid: str, level: int, site: str | None, side: str | None, t_s: float | None
    ) -> dict[str, Any]:
        """What the client reports, 0-10, on the recording session; the site defaults to the
        current point label (what is being treated)."""
        current = self.recorder.session
        point = current.get("point") if current is not None else None
        data = {"level": level, "site": site or point, "side": side}
        return self.client_event(sid, "discomfort", data, t_s)

    def client_event(
        self, sid: str, kind: str, data: dict[str, Any], t_s: float | None
    ) -> dict[str, Any]:
        """Record a practice event (a rating, a threshold) on the recording session ``sid`` at
        ``t_s`` (default: now) and show it to every viewer."""
        if not self.is_recording(sid):
            raise Conflict(f"{kind} can only be recorded on the recording session")
        self.ingest_parked()
        t = self.feed.now_s() if t_s is None else t_s
        self.recorder.event(t, kind, data)
        self.feed.broadcast({"type": "event", "kind": kind, "t_s": round(t, 4), **data})
        return {"t_s": t, "kind": kind, **data}

    def recent_samples(self) -> tuple[np.ndarray, np.ndarray]:
        """The last 30 s of calibrated readings: session seconds and newtons, oldest first."""
        self.ingest_parked()
        h = np.asarray(self.feed.history, dtype=float).reshape(-1, 2)
        return h[:, 0], h[:, 1]

    def session_edited(self, sid: str, fields: dict[str, Any]) -> None:
        """The store was updated; the recording session's viewers see the new label at once."""
        if self.is_recording(sid) and self.recorder.session is not None:
            self.recorder.session.update(fields)
            self.broadcast_status()

    # --- settings and identity -------------------------------------------------------------
    async def update_settings(self, patch: SettingsPatch) -> TreatmentSettings:
        """Apply a settings patch live and save it for this station's next start."""
        if self.trainer is not None and self.trainer.running:
            raise Conflict(f"{self.name}: a protocol run sets the target; stop the run first")
        try:
            new = self.settings.patched(patch)
        except ValidationError as exc:
            raise ConfigError(describe(exc)) from None
        self.apply_settings(new)
        try:
            await asyncio.to_thread(self.book.save)
        except OSError as exc:
            raise NotSaved(f"settings applied but not saved: {exc}") from None
        return new

    def apply_settings(self, new: TreatmentSettings) -> None:
        """New target/tolerance/hold take effect on the next sample. While recording, a
        ``settings`` event at the last processed sample's time lets metrics and exports switch
        at the same sample as the live view did."""
        if self.recorder.recording and new != self.settings:
            self.recorder.event(
                self.feed.pipeline.state.t_s, "settings", {"settings": new.model_dump()}
            )
        self.settings = new
        self.book.set_settings(self.id, new.model_dump())
        self.feed.pipeline.set_params(new.to_hold_params())
        self._follow_settings()
        self.broadcast_status()

    def _follow_settings(self) -> None:
        follow = getattr(self.source, "follow_settings", None)  # the simulated hand aims at it
        if follow is not None:
            follow(self.settings.target_n, self.settings.tolerance_n, self.settings.hold_s)

    async def rename(self, name: str) -> None:
        self.name = name
        self.book.set_name(self.id, name)
        self.broadcast_status()
        await self.save_book("renamed")

    async def save_book(self, done: str) -> None:
        """Write the station book (name, settings, student, client) off the loop. ``done`` says
        what already applied live: a failed write answers 507 "{done} but not saved"."""
        try:
            await asyncio.to_thread(self.book.save)
        except OSError as exc:
            raise NotSaved(f"{done} but not saved: {exc}") from None

    # --- calibration ---------------------------------------------------------------------
    def _require_connected(self) -> None:
        if not self.status.connected:
            raise Conflict(f"{self.name}: the sensor is not connected; plug it in and retry")

    async def _measure(self, step: Callable[[], Any]) -> Any:
        """Run a source step in a thread (it may write calibrations.json), then tell viewers."""
        try:
            result = await asyncio.to_thread(step)
        except CalibrationError:
            raise
        except OSError as exc:
            raise NotSaved(f"calibration not saved: {exc}") from None
        self.broadcast_status()
        return result

    async def tare(self, window_s: float) -> None:
        self._require_connected()
        await self._measure(lambda: self.source.tare(window_s))

    async def add_calibration_point(self, known_n: float, window_s: float) -> dict[str, float]:
        self._require_connected()
        point: dict[str, float] = await self._measure(
            lambda: self.source.add_calibration_point(known_n, window_s)
        )
        return point

    def clear_calibration_points(self) -> None:
        self.source.clear_calibration_points()
        self.broadcast_status()

    async def fit_calibration(self) -> None:
        await self._measure(self.source.fit_calibration)

    def calibration_view(self) -> dict[str, Any]:
        """The calibration in force plus the points collected for the next fit."""
        cal = self.source.calibration.to_dict()
        return {
            **cal,
            "sensor_id": cal.get("sensor_id") or self.status.sensor_id,
            "unit": self.status.unit,
            "fitted_points": cal.get("points", []),
            "points": self.source.calibration_points,
        }

    # --- viewers and messages ------------------------------------------------------------
    def add_viewer(self, full: bool = False) -> Viewer:
        """A new viewer starts with the current status and the last 30 s, then live messages.
        ``full``: the trainer's view, which a hidden trial does not mask."""
        self.ingest_parked()
        return self.feed.add_viewer(self.status_message(), full)

    def remove_viewer(self, viewer: Viewer) -> None:
        self.feed.remove_viewer(viewer)

    def broadcast_status(self) -> None:
        self.feed.broadcast(self.status_message())

    def status_message(self) -> dict[str, Any]:
        s = asdict(self.status)
        return {
            "type": "status",
            "station": {"id": self.id, "name": self.name},
            "connected": s["connected"],
            "source": s["source"],
            "source_kind": s["kind"],
            "device": s["device"],
            "sensor": s["sensor"],
            "sensor_id": s["sensor_id"],
            "sample_rate_hz": s["rate_hz"],
            "rejected": s["rejected"],
            "rejected_total": sum(s["rejected"].values()),
            "message": s["message"],
            "device_messages": s["device_messages"],
            "settings": self.settings.model_dump(),
            "calibration": self.calibration_summary(),
            "calibration_match": s["calibration_match"],
            "session": self.recorder.session,
            "client_id": self.client_id,
            "storage": {"ok": self.recorder.store.ok, "error": self.recorder.store.error},
        }

    def calibration_summary(self) -> dict[str, Any]:
        cal = self.source.calibration
        return {
            "offset_raw": cal.offset_raw,
            "scale_n_per_raw": cal.scale_n_per_raw,
            "fitted_at": cal.fitted_at,
            "nonlinearity_pct": cal.nonlinearity_pct,
            "pending_points": len(self.source.calibration_points),
            "calibrated": cal.calibrated,
        }

    def describe(self) -> dict[str, Any]:
        """The station as ``GET /api/stations`` lists it."""
        session = self.recorder.session
        return {
            "id": self.id,
            "name": self.name,
            "source": self.spec,
            "sensor": self.status.sensor,
            "connected": self.status.connected,
            "recording": session is not None,
            "session_id": session["id"] if session else None,
            "settings": self.settings.model_dump(),
            "sample_rate_hz": self.status.rate_hz,
            "student_id": self.trainer.student_id if self.trainer else None,
            "client_id": self.client_id,
        }

    def overview(self) -> dict[str, Any]:
        """The station's tile on ``/ws/overview``."""
        st = self.feed.pipeline.state
        live = self.status.connected and self.feed.history
        return {
            "id": self.id,
            "name": self.name,
            "connected": self.status.connected,
            "force_n": round(st.force_display_n, 3) if live else None,
            "in_band": st.in_band if live else False,
            "hold_s": round(st.hold_s, 3),
            "hold_target_s": self.settings.hold_s,
            "holds_completed": st.holds_completed,
            "alert": st.alert,
            "recording": self.recorder.recording,
            "band_n": list(self.feed.pipeline.params.band),
            "unit": self.settings.unit,
            "probe_area_cm2": self.settings.probe_area_cm2,
            "trainer": self.trainer.tile() if self.trainer else None,
        }

    # --- periodic ------------------------------------------------------------------------
    def housekeeping(self, now: float) -> None:
        """Idle end, storage state changes, block writes and heartbeats (a few times a second)."""
        self.recorder.flush()
        if self.recorder.check_idle(self.settings.idle_end_s):
            self.feed.broadcast({"type": "event", "kind": "session_end", "t_s": self.feed.now_s()})
            self.broadcast_status()
        storage = (self.recorder.store.ok, self.recorder.store.error)
        if storage != self._storage_seen:  # a failure, a recovery, or samples lost for good
            self._storage_seen = storage
            self.broadcast_status()
        if self.trainer is not None:
            self.trainer.tick(now)
        self.feed.heartbeat(now)
