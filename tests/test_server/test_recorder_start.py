"""A session's first sample is at t_s >= 0 (issue 11: a first t_s of -0.0024 showed as "-0.0 s").

Readings are stamped in the reader thread before they reach the loop; readings stamped before an
explicit start but delivered after it (parked while the start request ran, or a device's burst)
are kept: the session starts at its first sample."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from presshold.firmware_bridge.source import ReadingBatch
from presshold.server.recorder import Recorder
from presshold.server.store import SessionStore


def test_readings_stamped_before_an_explicit_start_are_kept_from_0(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    store.open()
    try:
        rec = Recorder(store, auto_start=False)
        before = time.monotonic()
        session = rec.start()
        t = np.array([before - 0.004, before - 0.002, rec.t0 + 0.001, rec.t0 + 0.003])
        rec.ingest(ReadingBatch(t, t * 0 + 100.0, t * 0 + 25.0), True, dict)
        later = t[-1] + np.array([0.002, 0.004])
        rec.ingest(ReadingBatch(later, later * 0 + 100.0, later * 0 + 25.0), True, dict)
        rec.stop()
        assert store.sync()
        stored, _, _ = store.samples(session["id"])
        assert stored.size == 6 and stored[0] == 0.0  # nothing dropped, nothing negative
        np.testing.assert_allclose(np.diff(stored), np.diff(np.concatenate((t, later))))
    finally:
        store.close()
