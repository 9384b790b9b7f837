"""The one small interface every sensor source implements, and what it hands downstream.

A source owns its own thread(s) and pushes to a :class:`SourceSink`; the server adapts the sink
to its asyncio loop with ``loop.call_soon_threadsafe``. Sources never call into the server.

Time base: every ``t_s`` is seconds on the host's ``time.monotonic()`` clock. Device timestamps
(``t_us``) keep their precise spacing and are mapped onto the host clock by
:class:`~presshold.firmware_bridge.clock.DeviceClock`, so time never runs backwards across a
session, a device reset or a reconnect.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from presshold.errors import CalibrationError
from presshold.firmware_bridge.calibration import (
    Calibration,
    CalibrationStore,
    ZeroTracking,
    fit,
    robust_mean,
)

SourceKind = Literal["sim", "serial", "replay", "remote"]
DEVICE_MESSAGES = 10
"""How many recent ``#`` lines from the device a status carries."""


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


CalibrationMatch = Literal["serial", "generic"]


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
    """Unit of ``raw``: ``raw`` (counts), ``N``, ``kgf``, ``g`` or ``lbf``."""
    rejected: dict[str, int] = field(default_factory=dict)
    """Rejected-line counts by reason (``garbage``, ``too_long``, ``non_finite``, …), cumulative
    over reconnects."""
    message: str | None = None
    """Latest device ``#`` line or connection event, for the log and the dashboard."""
    device_messages: list[str] = field(default_factory=list)
    """The last ``DEVICE_MESSAGES`` free-text ``#`` lines the device sent, oldest first
    (e.g. ``hx711 not responding``); kept across reconnects so a report is not lost."""
    calibrated: bool = True
    """False while readings are raw counts taken 1:1 as newtons (calibrate before use)."""
    calibration_match: CalibrationMatch | None = None
    """How the stored calibration in force was found: ``serial`` (the board's USB serial
    number), ``generic`` (no serial number: hello name, VID:PID and port — a load cell swapped
    on the same board would look the same, so the user is told), ``None`` (none stored: the
    unit's defaults)."""


class SourceSink(Protocol):
    """Receives data from a source thread. Implementations must not block."""

    def on_readings(self, batch: ReadingBatch) -> None: ...

    def on_status(self, status: SourceStatus) -> None: ...


class ButtonSink(Protocol):
    """A sink that also takes the patient button (optional: a sink without ``on_button`` simply
    never hears it, as a device without a button never sends it)."""

    def on_button(self, t_s: float, pressed: bool) -> None: ...


class Source(ABC):
    """A stream of force readings: simulated, serial or replayed.

    Concrete shared part: a ring buffer of recent (t_s, raw) so tare and known-weight points can be
    taken from what the sensor just measured, the calibration that turns raw into newtons, and
    optional automatic zero tracking. Calibration methods may be called from any thread.
    """

    RING = 8192
    STEADY_N = 0.5
    """Largest 5-95 % spread (newtons) accepted in a tare or known-weight window."""

    def __init__(self, store: CalibrationStore | None = None) -> None:
        self._store = store
        self._cal_lock = threading.Lock()
        self._calibration = Calibration()
        self._points: list[dict[str, float]] = []
        self._ring_t = np.zeros(self.RING)
        self._ring_raw = np.zeros(self.RING)
        self._ring_end = 0  # total readings ever written; slot = index % RING
        self._zero: ZeroTracking | None = None

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

    @property
    def calibration_points(self) -> list[dict[str, float]]:
        """Points taken since the last clear (tare at 0 N plus known weights), not yet fitted."""
        with self._cal_lock:
            return [dict(p) for p in self._points]

    def _use_calibration(
        self,
        sensor_id: str | None,
        default: Calibration,
        match: CalibrationMatch = "serial",
        legacy_ids: tuple[str, ...] = (),
    ) -> CalibrationMatch | None:
        """Load the stored calibration for this sensor, else ``default``; returns how it was
        matched (``match``; ``generic`` when found only under a ``legacy_ids`` key, the bare
        names older versions used), or None when none was stored."""
        found = self._store.load_first(sensor_id, *legacy_ids) if self._store else None
        with self._cal_lock:
            self._calibration = found[0] if found else default
            self._calibration.sensor_id = sensor_id  # saved from now on under the new identity
            if self._zero is not None:
                self._zero.reset()
        if found is None:
            return None
        return match if found[1] == sensor_id else "generic"

    def _make_batch(self, t_s: np.ndarray, raw: np.ndarray) -> ReadingBatch:
        """Calibrate, remember the readings for tare/points, and track the zero if enabled."""
        with self._cal_lock:
            cal = self._calibration
            force = cal.apply(raw)
            k = min(len(raw), self.RING)
            slots = np.arange(self._ring_end, self._ring_end + k) % self.RING
            self._ring_t[slots] = t_s[-k:]
            self._ring_raw[slots] = raw[-k:]
            self._ring_end += k
            if self._zero is not None and cal.calibrated and cal.scale_n_per_raw:
                step_n = self._zero.update(t_s, force)
                if step_n:
                    cal.offset_raw += step_n / cal.scale_n_per_raw
        return ReadingBatch(t_s=t_s, raw=raw, force_n=force)

    def _recent(self, window_s: float) -> np.ndarray:
        """Raw readings of the last ``window_s`` (by their timestamps), checked to be steady."""
        with self._cal_lock:
            n = min(self._ring_end, self.RING)
            order = np.arange(self._ring_end - n, self._ring_end) % self.RING
            t, raw = self._ring_t[order], self._ring_raw[order]
            cal = self._calibration
        if n == 0:
            raise CalibrationError("no readings yet: is the sensor connected?")
        sel = raw[t >= t[-1] - window_s]
        if len(sel) < 3:
            raise CalibrationError("too few readings in the window; wait a moment and retry")
        if cal.calibrated:  # steadiness in newtons; 0.5 N allowed for hand/weight settling
            spread_n = float(np.percentile(sel, 95) - np.percentile(sel, 5)) * abs(
                cal.scale_n_per_raw
            )
            if spread_n > self.STEADY_N:
                raise CalibrationError(
                    f"sensor is not steady ({spread_n:.2f} N spread); keep it still"
                )
        elif not is_steady_unscaled(sel):
            raise CalibrationError("sensor is not steady (readings are moving); keep it still")
        return sel

    def tare(self, window_s: float = 0.5) -> Calibration:
        """Zero at the (robust) mean of the last ``window_s`` at rest; saved for this sensor."""
        return self._set_zero(robust_mean(self._recent(window_s)))

    def _set_zero(self, level: float) -> Calibration:
        """Make ``level`` (raw) read 0 N from now on; remembered as the 0 N point and saved."""
        with self._cal_lock:
            self._calibration.offset_raw = level
            self._points = [p for p in self._points if p["known_n"] != 0.0]
            self._points.insert(0, {"known_n": 0.0, "raw": level})
            if self._zero is not None:
                self._zero.reset()
            cal = self._calibration
        if self._store:
            self._store.save(cal)
        return cal

    def add_calibration_point(self, known_n: float, window_s: float = 1.0) -> dict[str, float]:
        """A known load rests on the sensor: remember (known_n, robust mean of raw)."""
        point = {"known_n": float(known_n), "raw": robust_mean(self._recent(window_s))}
        with self._cal_lock:
            self._points.append(point)
        return point

    def clear_calibration_points(self) -> None:
        with self._cal_lock:
            self._points = []

    def fit_calibration(self) -> dict[str, object]:
        """Least-squares fit of the points (residuals, non-linearity); saved for this sensor."""
        with self._cal_lock:
            points = [dict(p) for p in self._points]
            sensor_id = self._calibration.sensor_id
        cal = fit(points, sensor_id)
        with self._cal_lock:
            self._calibration = cal
            if self._zero is not None:
                self._zero.reset()
        if self._store:
            self._store.save(cal)
        return cal.to_dict()

    # -- drift -------------------------------------------------------------------------------
    @property
    def zero_tracking(self) -> bool:
        return self._zero is not None

    def set_zero_tracking(self, enabled: bool, settings: ZeroTracking | None = None) -> None:
        """Turn automatic zero tracking on or off (off by default; see :class:`ZeroTracking`).

        The tracked correction lives in memory for this run; a tare saves the zero explicitly.
        """
        with self._cal_lock:
            self._zero = (settings or ZeroTracking()) if enabled else None


def is_steady_unscaled(raw: np.ndarray) -> bool:
    """Steadiness of raw counts of unknown scale: the spread must look like the sensor's own noise.

    The noise is estimated from sample-to-sample differences (a press or a step barely changes
    them), and the 5-95 % spread of white noise is about 3.3 of its standard deviations; a step,
    ramp or wobble makes the spread far larger. Two counts of quantisation are always allowed.
    """
    d = np.diff(raw)
    noise = 1.4826 * float(np.median(np.abs(d - np.median(d)))) / np.sqrt(2.0)
    spread = float(np.percentile(raw, 95) - np.percentile(raw, 5))
    return spread <= max(6.0 * noise, 2.0)
