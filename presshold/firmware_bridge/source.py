"""The one small interface every sensor source implements, and what it hands downstream.

A source owns its own thread(s) and pushes to a :class:`SourceSink`; the server adapts the sink
to its asyncio loop with ``loop.call_soon_threadsafe``. Sources never call into the server.

Time base: every ``t_s`` is seconds on the host's ``time.monotonic()`` clock. Device timestamps
(``t_us``) keep their precise spacing but are anchored to the host clock at the first reading and
re-anchored after a device reset or reconnect, so time never runs backwards across a session.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

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
    """A stream of force readings: simulated, serial or replayed."""

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
