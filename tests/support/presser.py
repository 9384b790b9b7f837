"""A student at a fake sensor, for trainer-mode tests: presses when the run cues it."""

from __future__ import annotations

import asyncio
import time

import numpy as np

from support.inprocess import InProcess


async def student_presses(
    app: InProcess, station_id: str, stop: asyncio.Event, press_n: float = 20.0
) -> None:
    """A student at the fake sensor: presses 20 N when cued, lets go otherwise. Readings are
    stamped 10 ms apart with no holes, however late the loop wakes this task (a hole longer
    than 50 ms would be a gap, which ends a press)."""
    fake = app.fakes[station_id]
    station = app.stations.get(station_id)
    t_next = time.monotonic()
    while not stop.is_set():
        tr = station.trainer
        phase = tr.run.machine.phase if tr and tr.run else "rest"
        force = press_n if phase in ("press", "hold") else 0.0
        t = np.arange(t_next, time.monotonic(), 0.01)
        if t.size:
            fake.push(force + 0.05 * (np.arange(t.size) % 2), t)
            t_next = t[-1] + 0.01
        await asyncio.sleep(0.02)
