"""A station on another machine as a :class:`Source`: the hub's station sees no difference.

Batches arrive from the hub's MQTT thread possibly twice (QoS 1, resends after an outage) and
possibly out of order (a resend racing a live batch). Each is delivered exactly once, in
sequence order: numbers below the next expected one are duplicates; numbers above it wait until
the gap is filled (the station keeps every batch until the hub acknowledges it, so the gap
always fills). ``first`` in each batch — the oldest the station still holds — means the hub
never waits for a batch the station no longer has. Batches the station sent late (the *replay*
flag) are recorded but not shown as live (``Station.on_remote_batch``); meanwhile the station shows
as disconnected and "catching up".

Station time: the wire carries the station's wall clock (NTP-synchronised machines agree to a
few ms); it becomes this hub's monotonic clock here, never running backwards per station.
Calibration lives at the station (its sensor, its ``calibrations.json``): tare and
calibration steps are commands answered over MQTT.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

import numpy as np

from presshold.errors import CalibrationError, SourceError
from presshold.firmware_bridge.calibration import Calibration
from presshold.firmware_bridge.source import ReadingBatch, Source, SourceSink, SourceStatus
from presshold.network.codec import Batch

MAX_WAITING = 20_000
"""Out-of-order batches held for a gap to fill (~4 min of an 80 Hz station sending reading by
reading; what is dropped beyond it is resent)."""
COMMAND_TIMEOUT_S = 8.0
LATE_S = 1.0
"""A batch arriving this much later than the station's usual lag is not shown as live."""
LAG_WINDOW_S = 20.0
"""Seconds over which the usual lag is the minimum."""


class LagFloor:
    """The smallest lag seen over the last ``window_s`` seconds, in O(1) per batch (a station
    sends up to 100 batches a second; a minimum over a plain list of 20 s would cost 2 000
    comparisons per batch on the hub's network thread)."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._rising: deque[tuple[float, float]] = deque()  # (time, lag), lags increasing

    def add(self, now: float, lag: float) -> float:
        """Record ``lag`` at ``now``; the floor including it."""
        q = self._rising
        while q and q[-1][1] >= lag:
            q.pop()  # never the minimum again: a smaller, newer lag outlives it
        q.append((now, lag))
        while q[0][0] < now - self.window_s:
            q.popleft()
        return q[0][1]


class CommandLink(Protocol):
    def request(
        self, station_id: str, name: str, args: dict[str, Any], timeout_s: float
    ) -> dict[str, Any] | None:
        """Send ``cmd/<name>`` and wait for the answer (``None`` when none came in time)."""
        ...

    def send(self, station_id: str, name: str, args: dict[str, Any]) -> None:
        """Send ``cmd/<name>`` without waiting."""
        ...


class RemoteSource(Source):
    def __init__(
        self, station_id: str, link: CommandLink, cursor: tuple[int, int] | None = None
    ) -> None:
        """``cursor`` = (stream, last stored seq) from the store: after a hub restart the
        batches already recorded are recognised as duplicates."""
        super().__init__(store=None)
        self.station_id = station_id
        self._link = link
        self._lock = threading.Lock()
        self._sink: SourceSink | None = None
        self._status = SourceStatus(
            connected=False,
            source=f"mqtt:{station_id}",
            kind="remote",
            message="waiting for the station",
        )
        self._online = False
        self._sensor_connected = False
        self.catching_up = False
        self._stream: int | None = cursor[0] if cursor else None
        self._next = cursor[1] + 1 if cursor else 0
        self.delivered: tuple[int, int] | None = cursor
        self._waiting: dict[int, Batch] = {}
        self.duplicates = 0
        self.replayed = 0
        """Samples that arrived late (recorded, not shown live)."""
        self._last_t = -math.inf
        self._wall_to_mono = time.time() - time.monotonic()
        self._remote_points: list[dict[str, float]] = []
        self.announced_name: str | None = None
        self._lag_floor = LagFloor(LAG_WINDOW_S)

    # --- Source interface ----------------------------------------------------------------
    def start(self, sink: SourceSink) -> None:
        with self._lock:
            self._sink = sink
            self._deliver_ready()
        sink.on_status(self.status)

    def stop(self) -> None:
        with self._lock:
            self._sink = None

    @property
    def status(self) -> SourceStatus:
        with self._lock:
            return replace(self._status)

    # --- from the hub's MQTT thread ------------------------------------------------------
    def on_batch(self, b: Batch) -> None:
        with self._lock:
            if b.stream != self._stream:  # first contact, or the station's spool was new
                self._stream, self._next = b.stream, b.first
                self._waiting.clear()
            if b.first > self._next:  # the station no longer holds these: do not wait
                self._next = b.first
                self._waiting = {k: v for k, v in self._waiting.items() if k >= b.first}
            if b.seq < self._next or b.seq in self._waiting:
                self.duplicates += 1
                return
            self._waiting[b.seq] = b
            if len(self._waiting) > MAX_WAITING:  # it will be resent
                del self._waiting[max(self._waiting)]
            self._deliver_ready()

    def _deliver_ready(self) -> None:
        """Under the lock: every batch that is next in sequence, in order."""
        if self._sink is None or self._stream is None:
            return
        while self._next in self._waiting:
            b = self._waiting.pop(self._next)
            self._deliver(b, self._sink)
            self.delivered = (self._stream, self._next)
            self._next += 1

    def _deliver(self, b: Batch, sink: SourceSink) -> None:
        if len(b) == 0:
            return
        t = np.array(b.t) - self._wall_to_mono
        if t[0] <= self._last_t:  # clocks disagree: shift, never run backwards
            t += self._last_t - t[0] + 1e-6
        self._last_t = float(t[-1])
        batch = ReadingBatch(t_s=t, raw=np.array(b.raw), force_n=np.array(b.force_n))
        late = b.replay or self._late(b)
        streaming = self._online and self._sensor_connected
        if late != self.catching_up or not streaming:
            # data flowing proves the station and its sensor are up, even before the retained
            # status arrives: the station must count as connected *before* this batch is
            # ingested, or its session would not start and the batch would be acknowledged
            # without being recorded
            self.catching_up = late
            self._online = self._sensor_connected = True
            self._publish_status()
        if late:
            self.replayed += len(batch)
        ordered: Callable[[ReadingBatch, bool], None] | None = getattr(
            sink, "on_remote_batch", None
        )
        if ordered is not None:
            ordered(batch, not late)
        else:
            sink.on_readings(batch)

    def _late(self, b: Batch) -> bool:
        """Sent late without the station knowing (its MQTT client retransmits what it had
        published into a dead connection): arrival lag well above this station's recent
        floor. The floor absorbs any offset between the two machines' clocks."""
        now = time.time()
        lag = now - float(b.t[-1])
        return lag > self._lag_floor.add(now, lag) + LATE_S

    def on_station_status(self, d: dict[str, Any]) -> None:
        """The station's retained status (or its last will: ``{"online": false}``)."""
        with self._lock:
            self._online = bool(d.get("online"))
            if self._online:
                self.announced_name = d.get("name") or self.announced_name
                self._sensor_connected = bool(d.get("connected"))
                s = self._status
                s.sensor = d.get("sensor")
                s.sensor_id = d.get("sensor_id")
                s.device = d.get("device")
                s.rate_hz = d.get("rate_hz")
                s.unit = d.get("unit") or "N"
                s.rejected = dict(d.get("rejected") or {})
                s.device_messages = list(d.get("device_messages") or [])
                s.calibrated = bool(d.get("calibrated", True))
                s.message = d.get("message")
                self._take_calibration(d)
            else:
                self._status.message = "station offline (network or station down)"
            self._publish_status()

    @property
    def online(self) -> bool:
        """The station is connected to the broker (its status says so, or data flows)."""
        return self._online

    def _take_calibration(self, d: dict[str, Any]) -> None:
        if isinstance(d.get("calibration"), dict):
            self._calibration = Calibration.from_dict(d["calibration"])
        if isinstance(d.get("points"), list):
            self._remote_points = [dict(p) for p in d["points"]]

    def _publish_status(self) -> None:
        """Under the lock: connected = station online, its sensor streaming, and live."""
        s = self._status
        s.connected = self._online and self._sensor_connected and not self.catching_up
        if self.catching_up:
            s.message = "catching up: recording data sent late, not shown live"
        sink = self._sink
        if sink is not None:
            sink.on_status(replace(s))

    # --- calibration: commands to the station --------------------------------------------
    @property
    def calibration_points(self) -> list[dict[str, float]]:
        with self._lock:
            return [dict(p) for p in self._remote_points]

    def _command(self, name: str, args: dict[str, Any]) -> Any:
        reply = self._link.request(self.station_id, name, args, COMMAND_TIMEOUT_S)
        if reply is None:
            raise SourceError(
                f"station {self.station_id} did not answer {name!r} within "
                f"{COMMAND_TIMEOUT_S:g} s (offline?)"
            )
        with self._lock:
            self._take_calibration(reply)
        if not reply.get("ok"):
            error = str(reply.get("error") or f"{name} failed at the station")
            if reply.get("type") == "CalibrationError":
                raise CalibrationError(error)
            raise SourceError(f"station {self.station_id}: {error}")
        return reply.get("result")

    def tare(self, window_s: float = 0.5) -> Calibration:
        self._command("tare", {"window_s": window_s})
        return self.calibration

    def add_calibration_point(self, known_n: float, window_s: float = 1.0) -> dict[str, float]:
        point: dict[str, float] = self._command(
            "cal_point", {"known_n": known_n, "window_s": window_s}
        )
        return point

    def clear_calibration_points(self) -> None:
        """Called on the event loop: sent without waiting."""
        with self._lock:
            self._remote_points = []
        self._link.send(self.station_id, "cal_clear", {})

    def fit_calibration(self) -> dict[str, object]:
        result: dict[str, object] = self._command("cal_fit", {})
        return result

    def follow_settings(self, target_n: float, tolerance_n: float, hold_s: float) -> None:
        """A simulated hand at the station aims at the hub's settings."""
        args = {"target_n": target_n, "tolerance_n": tolerance_n, "hold_s": hold_s}
        self._link.send(self.station_id, "settings", args)
