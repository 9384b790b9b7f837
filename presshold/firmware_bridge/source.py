"""The one small interface every sensor source implements, and what it hands downstream.

A source owns its own thread(s) and pushes to a :class:`SourceSink`; the server adapts the sink
to its asyncio loop with ``loop.call_soon_threadsafe``. Sources never call into the server.

Time base: every ``t_s`` is seconds on the host's ``time.monotonic()`` clock. Device timestamps
(``t_us``) keep their precise spacing but are anchored to the host clock at the first reading and
re-anchored after a device reset or reconnect, so time never runs backwards across a session.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from presshold.errors import CalibrationError
from presshold.firmware_bridge.calibration import Calibration, CalibrationStore, fit

SourceKind = Literal["sim", "serial", "replay"]


@dataclass(frozen=True, slots=True)
class ReadingBatch:
    """Readings that arrived together; arrays of equal length, ``t_s`` strictly increasing."""

    t_s: np.ndarray
    """float64 seconds, host monotonic clock (see module docstring)."""
    raw: np.ndarray
    """float64 values as the device sent them (ADC counts, or N/kgf/g for calibrated devices)."""
    force_n: np.ndarray
    """float64 newtons after the sensor's calibration."""

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


@dataclass(slots=True)
class SourceStatus:
    """What a viewer needs to know about the sensor; pushed on every change."""

    connected: bool
    source: str
    """What the user asked for: ``sim``, ``/dev/ttyACM0``, ``COM3``, ``socket://…``, a CSV path."""
    kind: SourceKind
    sensor: str | None = None
    """Name from the hello line (``sensor=``), or a description of the simulator."""
    sensor_id: str | None = None
    """Stable identity for calibration: USB serial number, else the hello name, else the port."""
    device: str | None = None
    """The port actually open right now (may differ from ``source`` after a replug)."""
    rate_hz: float | None = None
    """Announced (hello ``rate=``) or configured sample rate."""
    unit: str = "N"
    """Unit of ``raw``: ``raw`` (counts), ``N``, ``kgf`` or ``g``."""
    rejected: dict[str, int] = field(default_factory=dict)
    """Rejected-line counts by reason (``garbage``, ``too_long``, ``non_finite``, …)."""
    message: str | None = None
    """Last device ``#`` line or error, for the log and the dashboard."""


class SourceSink(Protocol):
    """Receives data from a source thread. Implementations must not block."""

    def on_readings(self, batch: ReadingBatch) -> None: ...

    def on_status(self, status: SourceStatus) -> None: ...


class Source(ABC):
    """A stream of force readings: simulated, serial or replayed.

    Concrete shared part: a ring buffer of recent (t_s, raw) so tare and known-weight points can be
    taken from what the sensor just measured, and the calibration that turns raw into newtons.
    """

    RING = 4096

    def __init__(self, store: CalibrationStore | None = None) -> None:
        self._store = store
        self._cal_lock = threading.Lock()
        self._calibration = Calibration()
        self._points: list[dict[str, float]] = []
        self._ring_t = np.zeros(self.RING)
        self._ring_raw = np.zeros(self.RING)
        self._ring_n = 0

    @abstractmethod
    def start(self, sink: SourceSink) -> None:
        """Start producing in a background thread; returns at once."""

    @abstractmethod
    def stop(self) -> None:
        """Stop producing, close the device and join threads. Idempotent."""

    @property
    @abstractmethod
    def status(self) -> SourceStatus:
        """The current status (a copy)."""

    def request_hello(self) -> None:
        """Ask the device to announce itself; only serial sources do anything."""
        return None

    # -- calibration -------------------------------------------------------------------------
    @property
    def calibration(self) -> Calibration:
        return self._calibration

    def _use_calibration(self, sensor_id: str | None, default: Calibration) -> None:
        """Load the stored calibration for this sensor, else ``default``."""
        stored = self._store.load(sensor_id) if (self._store and sensor_id) else None
        with self._cal_lock:
            self._calibration = stored or default
            self._calibration.sensor_id = sensor_id

    def _make_batch(self, t_s: np.ndarray, raw: np.ndarray) -> ReadingBatch:
        """Calibrate and remember the readings for tare/points."""
        with self._cal_lock:
            force = self._calibration.apply(raw)
            k = min(len(raw), self.RING)
            self._ring_t = np.roll(self._ring_t, -k)
            self._ring_raw = np.roll(self._ring_raw, -k)
            self._ring_t[-k:] = t_s[-k:]
            self._ring_raw[-k:] = raw[-k:]
            self._ring_n = min(self.RING, self._ring_n + k)
        return ReadingBatch(t_s=t_s, raw=raw, force_n=force)

    def _window(self, window_s: float) -> np.ndarray:
        with self._cal_lock:
            n = self._ring_n
            t, raw = self._ring_t[-n:], self._ring_raw[-n:]
        if n == 0:
            raise CalibrationError("no readings yet: is the sensor connected?")
        sel = raw[t >= t[-1] - window_s]
        if len(sel) < 3:
            raise CalibrationError("too few readings in the window; wait a moment and retry")
        # steadiness: robust spread vs. the current scale; 0.5 N allowed for hand/weight settling
        spread_n = float(np.percentile(sel, 95) - np.percentile(sel, 5)) * abs(
            self._calibration.scale_n_per_raw
        )
        if spread_n > 0.5:
            raise CalibrationError(f"sensor is not steady ({spread_n:.2f} N spread); keep it still")
        return sel

    def tare(self, window_s: float = 0.5) -> Calibration:
        """Zero at the mean of the last ``window_s`` at rest; saved for this sensor."""
        sel = self._window(window_s)
        with self._cal_lock:
            self._calibration.offset_raw = float(np.median(sel))
            self._points = [p for p in self._points if p["known_n"] != 0.0]
            self._points.append({"known_n": 0.0, "raw": float(np.median(sel))})
            cal = self._calibration
        if self._store:
            self._store.save(cal)
        return cal

    @property
    def calibration_points(self) -> list[dict[str, float]]:
        """Points taken since the last clear (tare at 0 N plus known weights), not yet fitted."""
        return [dict(p) for p in self._points]

    def add_calibration_point(self, known_n: float, window_s: float = 1.0) -> dict[str, float]:
        sel = self._window(window_s)
        point = {"known_n": float(known_n), "raw": float(np.median(sel))}
        self._points.append(point)
        return point

    def clear_calibration_points(self) -> None:
        self._points = []

    def fit_calibration(self) -> dict[str, object]:
        cal = fit(self._points, self._calibration.sensor_id)
        with self._cal_lock:
            self._calibration = cal
        if self._store:
            self._store.save(cal)
        return cal.to_dict()
