"""Live hub: source batches (reader thread) → signal pipeline + recorder → per-viewer frames.

History is a bounded ring (30 s at up to 2 kHz), so memory stays flat over an 8 h session.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from dataclasses import asdict
from typing import Any

from presshold.firmware_bridge.source import ReadingBatch, Source, SourceStatus
from presshold.server.recorder import Recorder
from presshold.signal import HoldParams, LivePipeline

HISTORY_S = 30.0
FRAME_PERIOD_S = 1 / 30
VIEWER_QUEUE = 90  # 3 s of frames; overflow drops the viewer's own oldest frames


class Viewer:
    """One websocket's outbox. Bounded: on overflow it loses its own oldest *frame* (status and
    events are kept while frames remain to drop) and is told how many frames/samples it lost."""

    def __init__(self, limit: int = VIEWER_QUEUE) -> None:
        self.limit = limit
        self._box: deque[dict[str, Any]] = deque()
        self._ready = asyncio.Event()
        self.dropped_frames = 0
        self.dropped_samples = 0
        self.dropped_total = 0

    def put(self, msg: dict[str, Any]) -> None:
        if len(self._box) >= self.limit:
            victim = next((m for m in self._box if m["type"] == "frame"), self._box[0])
            self._box.remove(victim)
            self.dropped_frames += 1
            self.dropped_samples += len(victim.get("samples", ()))
        self._box.append(msg)
        self._ready.set()

    async def get(self) -> dict[str, Any]:
        while not self._box:
            self._ready.clear()
            await self._ready.wait()
        if self.dropped_frames:
            self.dropped_total += self.dropped_frames
            notice = {
                "type": "dropped",
                "frames": self.dropped_frames,
                "samples": self.dropped_samples,
                "total_frames": self.dropped_total,
            }
            self.dropped_frames = self.dropped_samples = 0
            return notice
        return self._box.popleft()


class LiveHub:
    """Owns the source; keeps the last 30 s and fans frames out without blocking ingest."""

    def __init__(self, source: Source, loop: asyncio.AbstractEventLoop, recorder: Recorder) -> None:
        self.source = source
        self.recorder = recorder
        self.loop = loop
        self.t0 = time.monotonic()
        self.history: deque[tuple[float, float]] = deque(maxlen=int(HISTORY_S * 2000))
        self.pending: list[list[float]] = []
        self.viewers: set[Viewer] = set()
        self.seq = 0
        self.status_obj: SourceStatus = source.status
        self.settings: dict[str, Any] | None = None
        self.pipeline = LivePipeline(HoldParams(30.0, 3.0, 30.0), None)

    def apply_settings(self, settings: dict[str, Any]) -> None:
        """New target/tolerance/hold take effect on the next sample; status tells every viewer."""
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
        self.loop.call_soon_threadsafe(self._ingest, batch)

    def on_status(self, status: SourceStatus) -> None:
        self.loop.call_soon_threadsafe(self._set_status, status)

    def _ingest(self, batch: ReadingBatch) -> None:
        was_recording = self.recorder.recording
        self.recorder.ingest(batch, self.status_obj.connected, self.session_meta())
        if self.recorder.recording and not was_recording:
            self.on_session_change()
        t_rel = batch.t_s - self.t0
        if self.pipeline.state.t_s and t_rel[0] < self.pipeline.state.t_s:
            self.pipeline.reset()  # the time base restarted with a new session
        result = self.pipeline.process(t_rel, batch.force_n)
        for ev in result.events:
            self.recorder.event(ev.t_s, ev.kind, ev.data)
            self._broadcast({"type": "event", "kind": ev.kind, "t_s": round(ev.t_s, 4), **ev.data})
        for t, f in zip(t_rel.tolist(), batch.force_n.tolist(), strict=True):
            self.history.append((t, f))
            self.pending.append([round(t, 4), round(f, 3)])

    def session_meta(self) -> dict[str, Any]:
        calibration = {**self.source.calibration.to_dict(), "unit": self.status_obj.unit}
        return {
            "sensor": self.status_obj.sensor,
            "settings": self.settings,
            "calibration": calibration,
        }

    def on_session_change(self) -> None:
        """Session seconds restart at 0: live time base follows, history is cleared."""
        if self.recorder.recording:
            self.t0 = self.recorder.t0
            self.history.clear()
            self.pending.clear()
            self.pipeline.reset()
            self._broadcast({"type": "event", "kind": "session_start", "t_s": 0.0})
        self.broadcast_status()

    def _set_status(self, status: SourceStatus) -> None:
        if self.status_obj.connected and not status.connected:
            t = time.monotonic() - self.t0
            self.recorder.event(t, "gap", {"reason": status.message or "disconnected"})
            self._broadcast({"type": "event", "kind": "gap", "t_s": round(t, 4)})
        self.status_obj = status
        self.broadcast_status()

    def broadcast_status(self) -> None:
        self._broadcast(self.status_message())

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
            "settings": self.settings,
            "calibration": self.calibration_summary(),
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
        }

    def history_message(self) -> dict[str, Any]:
        """The last 30 s, minus the samples the next frame carries (no viewer sees one twice)."""
        sent = len(self.history) - len(self.pending)
        cutoff = (self.history[-1][0] - HISTORY_S) if self.history else 0.0
        samples = [
            [round(t, 4), round(f, 3)]
            for t, f in itertools.islice(self.history, 0, max(sent, 0))
            if t >= cutoff
        ]
        return {"type": "history", "samples": samples}

    def viewer_stats(self) -> dict[str, int]:
        return {
            "viewers": len(self.viewers),
            "viewers_lagging": sum(1 for v in self.viewers if v.dropped_frames),
        }

    def add_viewer(self) -> Viewer:
        """A new viewer starts with the current status and the last 30 s, then live messages."""
        v = Viewer()
        v.put(self.status_message())
        v.put(self.history_message())
        self.viewers.add(v)
        return v

    def remove_viewer(self, v: Viewer) -> None:
        self.viewers.discard(v)

    def _broadcast(self, msg: dict[str, Any]) -> None:
        for v in self.viewers:  # never waits: a slow viewer only loses its own oldest frames
            v.put(msg)

    async def run_frames(self) -> None:
        """Paced 30 Hz frames when samples arrived; a 1 Hz heartbeat otherwise."""
        last_sent = 0.0
        storage_ok = self.recorder.store.ok
        while True:
            await asyncio.sleep(FRAME_PERIOD_S)
            now = time.monotonic()
            idle_end_s = float((self.settings or {}).get("idle_end_s", 120.0))
            if self.recorder.check_idle(idle_end_s):
                self._broadcast({"type": "event", "kind": "session_end", "t_s": now - self.t0})
                self.broadcast_status()
            if self.recorder.store.ok != storage_ok:
                storage_ok = self.recorder.store.ok
                self.broadcast_status()
            if not self.pending and now - last_sent < 1.0:
                continue
            samples, self.pending = self.pending, []
            self.seq += 1
            t = self.history[-1][0] if self.history else now - self.t0
            st = self.pipeline.state
            p = self.pipeline.params
            self._broadcast(
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
            last_sent = now
