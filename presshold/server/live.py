"""Live hub: source batches (reader thread) → signal pipeline + recorder → per-viewer frames.

The reader thread only parks batches in an inbox; each 30 Hz frame tick ingests everything parked
(one loop wake-up, one pipeline call and one stored block per tick instead of one per serial read
— at 1 kHz a serial read often holds a single line) and sends one frame. A sample waits for the
next tick either way, so this costs no latency. Each message is JSON-encoded once for all viewers.
History is a bounded ring (30 s at up to 2 kHz), so memory stays flat over an 8 h session.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections import deque
from dataclasses import asdict
from typing import Any

import numpy as np

from presshold.firmware_bridge.source import ReadingBatch, Source, SourceStatus
from presshold.server.recorder import Recorder
from presshold.server.viewers import Outgoing, Viewer
from presshold.signal import HoldParams, LivePipeline

log = logging.getLogger("presshold.server")

HISTORY_S = 30.0
FRAME_PERIOD_S = 1 / 30


class LiveHub:
    """Owns the source; keeps the last 30 s and fans frames out without blocking ingest."""

    def __init__(self, source: Source, loop: asyncio.AbstractEventLoop, recorder: Recorder) -> None:
        self.source = source
        self.recorder = recorder
        self.loop = loop
        self.t0 = time.monotonic()
        self.history: deque[list[float]] = deque(maxlen=int(HISTORY_S * 2000))
        self.pending: list[list[float]] = []
        self.viewers: set[Viewer] = set()
        self.seq = 0
        self.status_obj: SourceStatus = source.status
        self.settings: dict[str, Any] | None = None
        self.pipeline = LivePipeline(HoldParams(30.0, 3.0, 30.0), None)
        self._inbox: list[ReadingBatch] = []
        self._inbox_lock = threading.Lock()
        self._last_frame = 0.0
        self._storage_seen = (recorder.store.ok, recorder.store.error)

    def apply_settings(self, settings: dict[str, Any]) -> None:
        """New target/tolerance/hold take effect on the next sample; status tells every viewer.
        While recording, a ``settings`` event at the last processed sample's time lets metrics
        and exports switch settings at the same sample as the live view did."""
        if self.recorder.recording and settings != self.settings:
            self.recorder.event(self.pipeline.state.t_s, "settings", {"settings": settings})
        self.settings = settings
        self.pipeline.set_params(
            HoldParams(
                settings["target_n"],
                settings["tolerance_n"],
                settings["hold_s"],
                grace_s=settings["grace_s"],
                min_hold_s=settings["min_hold_s"],
            )
        )
        self.broadcast_status()

    # --- reader thread -> loop
    def on_readings(self, batch: ReadingBatch) -> None:
        """Reader thread: park the batch for the next frame tick (never blocks the reader)."""
        with self._inbox_lock:
            self._inbox.append(batch)

    def drain(self) -> None:
        """Ingest everything the source parked since the last tick, as one block."""
        with self._inbox_lock:
            batches, self._inbox = self._inbox, []
        if len(batches) == 1:
            self._ingest(batches[0])
        elif batches:
            self._ingest(
                ReadingBatch(
                    t_s=np.concatenate([b.t_s for b in batches]),
                    raw=np.concatenate([b.raw for b in batches]),
                    force_n=np.concatenate([b.force_n for b in batches]),
                )
            )

    def on_status(self, status: SourceStatus) -> None:
        self.loop.call_soon_threadsafe(self._set_status, status)

    def _ingest(self, batch: ReadingBatch) -> None:
        was_recording = self.recorder.recording
        self.recorder.ingest(batch, self.status_obj.connected, self.session_meta)
        if self.recorder.recording and not was_recording:
            self.on_session_change()
        t_rel = batch.t_s - self.t0
        if self.pipeline.state.t_s and t_rel[0] < self.pipeline.state.t_s:
            self.pipeline.reset()  # the time base restarted with a new session
        result = self.pipeline.process(t_rel, batch.force_n)
        for ev in result.events:
            self.recorder.event(ev.t_s, ev.kind, ev.data)
            self.broadcast({"type": "event", "kind": ev.kind, "t_s": round(ev.t_s, 4), **ev.data})
        # one vectorised rounding per batch; history and frames share the same [t_s, force_n] pairs
        pairs = np.column_stack((np.round(t_rel, 4), np.round(batch.force_n, 3))).tolist()
        self.history.extend(pairs)
        self.pending.extend(pairs)

    def session_meta(self) -> dict[str, Any]:
        calibration = {**self.source.calibration.to_dict(), "unit": self.status_obj.unit}
        return {
            "sensor": self.status_obj.sensor,
            "settings": self.settings,
            "calibration": calibration,
        }

    def on_session_change(self) -> None:
        """Session seconds restart at 0: live time base follows, history is cleared. Samples
        already ingested but not yet framed (the start route drains first) go out in a frame on
        the old time base before that, or the live trace would have a hole."""
        if self.recorder.recording:
            if self.pending:
                self._send_frame(time.monotonic())
            self.t0 = self.recorder.t0
            self.history.clear()
            self.pending.clear()
            self.pipeline.reset()
            self.broadcast({"type": "event", "kind": "session_start", "t_s": 0.0})
        self.broadcast_status()

    def _set_status(self, status: SourceStatus) -> None:
        if self.status_obj.connected and not status.connected:
            t = time.monotonic() - self.t0
            self.recorder.event(t, "gap", {"reason": status.message or "disconnected"})
            self.broadcast({"type": "event", "kind": "gap", "t_s": round(t, 4)})
        self.status_obj = status
        self.broadcast_status()

    def broadcast_status(self) -> None:
        self.broadcast(self.status_message())

    # --- messages
    def status_message(self) -> dict[str, Any]:
        s = asdict(self.status_obj)
        return {
            "type": "status",
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
            "settings": self.settings,
            "calibration": self.calibration_summary(),
            "calibration_match": s["calibration_match"],
            "session": self.recorder.session,
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

    def history_message(self) -> dict[str, Any]:
        """The last 30 s, minus the samples the next frame carries (no viewer sees one twice)."""
        sent = len(self.history) - len(self.pending)
        cutoff = (self.history[-1][0] - HISTORY_S) if self.history else 0.0
        samples = [p for p in itertools.islice(self.history, 0, max(sent, 0)) if p[0] >= cutoff]
        return {"type": "history", "samples": samples}

    def viewer_stats(self) -> dict[str, int]:
        return {
            "viewers": len(self.viewers),
            "viewers_lagging": sum(1 for v in self.viewers if v.dropped_frames),
        }

    def add_viewer(self) -> Viewer:
        """A new viewer starts with the current status and the last 30 s, then live messages."""
        v = Viewer()
        v.put(Outgoing.of(self.status_message()))
        v.put(self._history_outgoing())
        self.viewers.add(v)
        return v

    def _history_outgoing(self) -> Outgoing:
        """The history message, encoded once per tick however many viewers join in it (a
        classroom reloading at once must not stall the frame loop with 30 s encodings)."""
        h = self.history
        key = (self.t0, len(h), len(self.pending), id(h[-1]) if h else 0)  # t0: a new session
        cached = getattr(self, "_history_cache", None)
        if cached is None or cached[0] != key:
            cached = (key, Outgoing.of(self.history_message()))
            self._history_cache = cached
        return cached[1]

    def remove_viewer(self, v: Viewer) -> None:
        self.viewers.discard(v)

    def broadcast(self, msg: dict[str, Any]) -> None:
        if not self.viewers:
            return
        out = Outgoing.of(msg)
        for v in self.viewers:  # never waits: a slow viewer only loses its own oldest frames
            v.put(out)

    async def run_frames(self) -> None:
        """Paced 30 Hz ticks: ingest, then a frame when samples arrived (else a 1 Hz heartbeat).

        A bug in one tick is logged and the next tick runs: the gauge must never freeze."""
        due = time.monotonic()
        while True:
            # absolute deadlines: a steady 30 fps, not 30 fps minus the time each frame took
            due = max(due + FRAME_PERIOD_S, time.monotonic() - FRAME_PERIOD_S)
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            try:
                self.tick()
            except Exception:
                log.exception("live tick failed; continuing")

    def tick(self) -> None:
        self.drain()
        now = time.monotonic()
        idle_end_s = float((self.settings or {}).get("idle_end_s", 120.0))
        if self.recorder.check_idle(idle_end_s):
            self.broadcast({"type": "event", "kind": "session_end", "t_s": now - self.t0})
            self.broadcast_status()
        storage = (self.recorder.store.ok, self.recorder.store.error)
        if storage != self._storage_seen:  # a failure, a recovery, or samples lost for good
            self._storage_seen = storage
            self.broadcast_status()
        if not self.pending and now - self._last_frame < 1.0:
            return
        self._send_frame(now)

    def _send_frame(self, now: float) -> None:
        """Broadcast the pending samples with the pipeline's current state (a heartbeat if none)."""
        samples, self.pending = self.pending, []
        self.seq += 1
        t = self.history[-1][0] if self.history else now - self.t0
        st = self.pipeline.state
        p = self.pipeline.params
        self.broadcast(
            {
                "type": "frame",
                "seq": self.seq,
                "t_s": round(t, 4),
                "force_n": round(st.force_display_n, 3),
                "in_band": st.in_band,
                "pressing": st.pressing,
                "hold_s": round(st.hold_s, 3),
                "hold_target_s": p.hold_s,
                "holds_completed": st.holds_completed,
                "alert": st.alert,
                "band_n": list(p.band),
                "samples": samples,
            }
        )
        self._last_frame = now
