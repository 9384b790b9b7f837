"""A sensor at the edge whose every reading is recognisable: reading k has raw = k. The
"device log" (``produced``) is what the store must hold, exactly once, after any fault."""

from __future__ import annotations

import threading
import time

import numpy as np

from presshold.firmware_bridge.source import Source, SourceSink, SourceStatus


class CountingSource(Source):
    def __init__(
        self, rate_hz: float = 80.0, per_read: int = 1, steady: float | None = None
    ) -> None:
        """``steady``: every raw value is this instead of k (a sensor at rest, for a tare)."""
        super().__init__(None)
        self.rate_hz, self.per_read = rate_hz, per_read
        self._status = SourceStatus(
            connected=True, source="count", kind="sim", sensor="counter", sensor_id="counter",
            rate_hz=rate_hz, unit="N",
        )  # fmt: skip
        self.produced = 0
        self.steady = steady
        self.followed: list[tuple[float, float, float]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.paused = threading.Event()

    @property
    def status(self) -> SourceStatus:
        return self._status

    def start(self, sink: SourceSink) -> None:
        self._thread = threading.Thread(target=self._run, args=(sink,), daemon=True)
        self._thread.start()
        sink.on_status(self._status)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def follow_settings(self, target_n: float, tolerance_n: float, hold_s: float) -> None:
        """What a simulated hand does with the hub's settings: here, remember them."""
        self.followed.append((target_n, tolerance_n, hold_s))

    def _run(self, sink: SourceSink) -> None:
        period = self.per_read / self.rate_hz
        due = time.monotonic()
        while not self._stop.is_set():
            due += period
            self._stop.wait(max(0.0, due - time.monotonic()))
            if self.paused.is_set():
                continue
            k = np.arange(self.produced, self.produced + self.per_read, dtype=float)
            if self.steady is not None:
                k[:] = self.steady
            now = time.monotonic()
            t = now - (self.per_read - 1 - np.arange(self.per_read)) / self.rate_hz
            batch = self._make_batch(t, k)
            self.produced += self.per_read
            sink.on_readings(batch)
