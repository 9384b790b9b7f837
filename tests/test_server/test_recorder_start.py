"""A session's first sample is at t_s >= 0 (issue 11: a first t_s of -0.0024 showed as "-0.0 s").

Readings are stamped in the reader thread before they reach the loop; those stamped before an
explicit start (parked while the start request ran) are not the new session's."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from presshold.firmware_bridge.source import ReadingBatch
from presshold.server.recorder import Recorder
from presshold.server.store import SessionStore


def test_readings_stamped_before_an_explicit_start_stay_out(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    store.open()
    try:
        rec = Recorder(store, auto_start=False)
        before = time.monotonic()
        session = rec.start()
        t = np.array([before - 0.004, before - 0.002, rec.t0 + 0.001, rec.t0 + 0.003])
        rec.ingest(ReadingBatch(t, t * 0 + 100.0, t * 0 + 25.0), True, dict)
        rec.stop()
        assert store.sync()
        stored, _, _ = store.samples(session["id"])
        assert stored.tolist() == [0.001, 0.003] or np.allclose(stored, [0.001, 0.003])
        assert stored.min() >= 0
    finally:
        store.close()
