"""``--source trace.csv``: a recorded session played back at real speed or faster."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from presshold.errors import SourceError
from presshold.firmware_bridge.calibration import Calibration, CalibrationStore
from presshold.firmware_bridge.source import SourceStatus
from presshold.firmware_bridge.threaded import ThreadedSource


class ReplaySource(ThreadedSource):
    """Replays a recorded CSV trace (``t_s`` and ``force_n``/``force_kgf``/``force_lbf``).

    Real speed by default, ``speed`` times faster otherwise. Values are newtons (identity
    calibration); tare and calibration work on the replayed values but are not persisted, since a
    file is not a sensor.
    """

    def __init__(self, path: Path, store: CalibrationStore | None = None, speed: float = 1.0):
        from presshold.traceio.read import read_trace

        if not speed > 0:
            raise SourceError("replay speed must be positive")
        self.path = Path(path)
        trace = read_trace(self.path)
        self.t, self.raw = trace.t_s, trace.force_n
        rate = float(1.0 / np.median(np.diff(self.t))) if len(self.t) > 1 else None
        super().__init__(
            SourceStatus(
                connected=False,
                source=str(path),
                kind="replay",
                sensor=self.path.name,
                sensor_id=f"replay:{self.path.name}",
                device=str(path),
                rate_hz=rate,
                unit="N",
            ),
            store,
        )
        self.speed = float(speed)
        self._use_calibration(None, Calibration())

    def _run(self) -> None:
        self._set_status(connected=True, message=f"replaying {self.path.name} at {self.speed:g}x")
        t0 = time.monotonic()
        rel = (self.t - self.t[0]) / self.speed
        i = 0
        while i < len(rel) and not self._stopping.wait(0.02):
            j = int(np.searchsorted(rel, time.monotonic() - t0, side="right"))
            if j > i:
                batch = self._make_batch(t0 + rel[i:j], self.raw[i:j])
                if self._sink is not None:
                    self._sink.on_readings(batch)
            i = max(i, j)
        self._set_status(connected=False, message="replay finished")
