"""``--source sim``: the hand model streamed in real time, no hardware needed."""

from __future__ import annotations

import time

import numpy as np

from presshold.firmware_bridge.calibration import Calibration, CalibrationStore
from presshold.firmware_bridge.sim_client import SimulatedClient
from presshold.firmware_bridge.simulator import (
    SIM_OFFSET_RAW,
    SIM_SCALE_N_PER_RAW,
    HandModel,
    HandStyle,
    HandTarget,
)
from presshold.firmware_bridge.source import SourceStatus
from presshold.firmware_bridge.threaded import ThreadedSource


class SimulatedSource(ThreadedSource):
    """The hand model in real time, in small batches (~50 per second)."""

    def __init__(
        self,
        rate_hz: float = 80.0,
        store: CalibrationStore | None = None,
        seed: int | None = None,
        style: HandStyle | None = None,
        name: str = "sim",
    ):
        super().__init__(
            SourceStatus(
                connected=False,
                source=name,
                kind="sim",
                sensor="simulated hand (HX711 model)",
                sensor_id=name,
                device=name,
                rate_hz=rate_hz,
                unit="raw",
            ),
            store,
        )
        seed = time.time_ns() % 2**32 if seed is None else seed
        self.model = HandModel(rate_hz, seed=seed, style=style)
        self.client = SimulatedClient()  # holds the patient button (presshold.clinic)
        default = Calibration(offset_raw=SIM_OFFSET_RAW, scale_n_per_raw=SIM_SCALE_N_PER_RAW)
        self._use_calibration(name, default)

    def follow_settings(self, target_n: float, tolerance_n: float, hold_s: float) -> None:
        """The simulated therapist aims at what the dashboard shows."""
        self.model.target = HandTarget(target_n, tolerance_n, hold_s)

    def follow_cue(self, what: str | None) -> None:
        """The simulated student follows a trainer run's press / release / rest cues."""
        self.model.cue(what)

    def _run(self) -> None:
        self._set_status(connected=True)
        rate = self.model.rate_hz
        t0 = time.monotonic()
        sent = 0
        while not self._stopping.wait(0.02):
            due = int((time.monotonic() - t0) * rate)
            if due <= sent:
                continue
            raw = self.model.samples(due - sent)
            t_s = t0 + np.arange(sent + 1, due + 1) / rate
            sent = due
            if self._sink is not None:
                batch = self._make_batch(t_s, raw)
                self._sink.on_readings(batch)
                for t, pressed in self.client.feed(batch.t_s, batch.force_n):
                    self._button(t, pressed)
        self._set_status(connected=False)
