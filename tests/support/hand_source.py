"""A connected sensor read by hand, for the network tests and benchmarks: the caller decides
when each reading exists, so latency is measured from a known instant."""

from __future__ import annotations

import time

import numpy as np

from presshold.firmware_bridge.source import Source, SourceSink, SourceStatus


class HandSource(Source):
    """Each :meth:`read` is one reading stamped now (raw = force = the value), handed to the sink
    on the caller's thread; once stopped, readings are dropped as a stopped reader's would be."""

    def __init__(self, name: str = "hand", rate_hz: float = 80.0) -> None:
        super().__init__(None)
        self._status = SourceStatus(
            connected=True, source=name, kind="sim", sensor=name, rate_hz=rate_hz
        )
        self.sink: SourceSink | None = None
        self.produced = 0
        """Readings handed over so far (what the store must end up holding)."""

    @property
    def status(self) -> SourceStatus:
        return self._status

    def start(self, sink: SourceSink) -> None:
        self.sink = sink
        sink.on_status(self._status)

    def stop(self) -> None:
        self.sink = None

    def read(self, value: float) -> None:
        sink = self.sink
        if sink is None:
            return
        sink.on_readings(self._make_batch(np.array([time.monotonic()]), np.array([value])))
        self.produced += 1
