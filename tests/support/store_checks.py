"""Checks shared by the store tests: a recorder's worth of writes, and two stores compared."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from presshold.server.store_api import SessionStoreAPI


def record(store: SessionStoreAPI, sid: str, blocks: int, rng: np.random.Generator) -> None:
    """What a recorder does: a session, 50 ms blocks at 80 Hz, events, an end, metrics."""
    store.create_session(
        {
            "id": sid,
            "started_at": "2026-11-29T10:00:00Z",
            "label": "neck",
            "sensor": "sim",
            "settings": {"target_n": 30.0},
            "calibration": {"scale_n_per_raw": 1.0, "offset_raw": float("nan")},
            "station_id": "table-1",
            "station_name": "Table 1",
        }
    )
    store.add_event(sid, 0.0, "session_start", {})
    for k in range(blocks):
        t = (np.arange(4) + 4 * k) / 80.0
        store.add_block(sid, t, rng.normal(30, 2, 4), rng.normal(84000, 50, 4))
        if k % 5 == 0:
            store.add_event(sid, float(t[0]), "hold_end", {"duration_s": 1.5})
    store.add_event(sid, 1.0, "mark", {"label": "trapezius", "side": "L"})
    store.add_event(sid, 1.0, "gap", {"duration_s": 0.1})  # same time: kept in written order
    store.add_event(sid, 1.5, "mark", {"label": "levator scapulae", "side": "L"})
    store.add_event(sid, 2.0, "mark", {"label": "trapezius", "side": "R"})
    store.end_session(sid, "2026-11-29T10:05:00Z")
    store.save_metrics(sid, 4 * blocks, {"metrics": {"time_in_band_s": 12.5}})


def same_view(a: SessionStoreAPI, b: SessionStoreAPI, sid: str) -> None:
    """Every read of the store API answers alike (events in time order, ties as written)."""
    assert a.list_sessions() == b.list_sessions()
    ga, gb = a.get_session(sid), b.get_session(sid)
    assert ga is not None and gb is not None
    assert _json_equal(ga, gb), sorted(ga.keys() ^ gb.keys())
    for lo, hi in ((None, None), (0.3, 0.9), (5.0, None)):
        for x, y in zip(a.samples(sid, lo, hi), b.samples(sid, lo, hi), strict=True):
            assert np.array_equal(x, y)
        assert a.extent(sid, lo, hi) == b.extent(sid, lo, hi)
    for lo, hi in ((None, None), (0.3, 0.9)):
        chunks_a = list(a.iter_samples(sid, 40, lo, hi))
        chunks_b = list(b.iter_samples(sid, 40, lo, hi))
        assert len(chunks_a) == len(chunks_b) > 1
        for ca, cb in zip(chunks_a, chunks_b, strict=True):
            assert all(np.array_equal(x, y) for x, y in zip(ca, cb, strict=True))


def _json_equal(x: Any, y: Any) -> bool:
    """Equality with NaN equal to NaN (a calibration may hold NaN)."""
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_json_equal(x[k], y[k]) for k in x)
    if isinstance(x, list):
        return len(x) == len(y) and all(_json_equal(p, q) for p, q in zip(x, y, strict=True))
    if isinstance(x, float) and np.isnan(x):
        return isinstance(y, float) and np.isnan(y)
    return bool(x == y)


def wait(cond: Any, timeout_s: float = 15.0, msg: Any = None) -> None:
    deadline = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < deadline, f"timed out: {msg() if msg else ''}"
        time.sleep(0.05)


def same_samples(a: SessionStoreAPI, b: SessionStoreAPI, sid: str, n: int) -> None:
    ta, fa, ra = a.samples(sid)
    tb, fb, rb = b.samples(sid)
    assert len(ta) == n
    assert np.array_equal(ta, tb) and np.array_equal(fa, fb) and np.array_equal(ra, rb)
