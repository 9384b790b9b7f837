"""An in-process source at the edge, like pymeasure's protocol adapter: the test pushes readings
and status changes, the station sees exactly what a reader thread would hand it."""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from presshold.firmware_bridge.source import Source, SourceSink, SourceStatus


class FakeSource(Source):
    def __init__(self, name: str = "fake", connected: bool = True) -> None:
        super().__init__(None)
        self._status = SourceStatus(
            connected=connected, source=name, kind="serial", sensor=name, sensor_id=name,
            device=name, rate_hz=100.0, unit="N",
        )  # fmt: skip
        self.sink: SourceSink | None = None
        self.started = self.stopped = False

    @property
    def status(self) -> SourceStatus:
        return self._status

    def start(self, sink: SourceSink) -> None:
        self.sink, self.started = sink, True

    def stop(self) -> None:
        self.stopped = True

    def push(self, force_n: np.ndarray | list[float], t_s: np.ndarray | None = None) -> None:
        """Readings (newtons, taken as raw too) stamped now, 10 ms apart, unless ``t_s``."""
        f = np.asarray(force_n, dtype=float)
        if t_s is None:
            t_s = time.monotonic() - (len(f) - 1) * 0.01 + np.arange(len(f)) * 0.01
        assert self.sink is not None, "not started"
        self.sink.on_readings(self._make_batch(np.asarray(t_s, dtype=float), f))

    def set_connected(self, connected: bool, message: str | None = None) -> None:
        self._status = dataclasses.replace(self._status, connected=connected, message=message)
        assert self.sink is not None
        self.sink.on_status(self._status)
