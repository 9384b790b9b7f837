"""Long-session reads straight from a real store: block-streamed analysis equals ``analyze``, and
the min/max envelope of a long trace keeps every extreme."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from presshold.server.exports import csv_lines
from presshold.server.session_metrics import session_metrics
from presshold.server.store import SessionStore
from presshold.server.trace import IN_MEMORY_MAX, read_trace
from presshold.signal import analyze
from presshold.treatment import hold_params

SETTINGS = {"target_n": 30.0, "tolerance_n": 3.0, "hold_s": 3.0, "grace_s": 0.5, "min_hold_s": 1.0}


def _presses(n: int, rate: float = 1000.0) -> tuple[np.ndarray, np.ndarray]:
    """Press cycles of 12 s (8 s at ~30 N with tremor and a slip), a one-sample glitch at
    sample n // 3 and a real 3 ms push to 70 N at 2n // 3."""
    t = np.arange(n) / rate
    c = t % 12.0
    f = np.where((c > 1) & (c < 9), 30.0 + 0.6 * np.sin(2 * np.pi * 9 * t), 0.0)
    f[(c > 5) & (c < 5.8)] = 24.0  # slips out of the band: an alert each cycle
    f[n // 3] = 95.0
    f[2 * n // 3 : 2 * n // 3 + 3] = 70.0
    return t, f


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = SessionStore(tmp_path)
    s.open()
    yield s
    s.close()


def _record(store: SessionStore, t: np.ndarray, f: np.ndarray, block: int = 997) -> dict:
    meta = {"id": "long", "started_at": "2026-11-23T10:00:00Z", "settings": SETTINGS}
    store.create_session(meta)
    for i in range(0, t.size, block):
        store.add_block("long", t[i : i + block], f[i : i + block], f[i : i + block] * 2150)
    store.end_session("long", "2026-11-23T11:00:00Z")
    store.close()  # flush
    store.open()
    out = store.get_session("long")
    assert out is not None and out["samples"] == t.size
    return out


def test_streamed_metrics_equal_analyze_on_the_whole_array(store: SessionStore) -> None:
    t, f = _presses(240_000)  # 4 min at 1 kHz, 20 cycles
    meta = _record(store, t, f)
    got = session_metrics(store, meta, recording=False)
    want = analyze(t, f, hold_params(SETTINGS)).to_dict()
    assert len(got["analysis"]["holds"]) == len(want["holds"]) >= 20
    for mine, theirs in zip(got["analysis"]["holds"], want["holds"], strict=True):
        _same(mine, theirs)
    _same(got["analysis"]["summary"], want["summary"])
    assert got["metrics"]["holds_completed"] == want["holds_completed"] >= 20
    # the peak is of the glitch-guarded force: the 95 N one-sample glitch is not a force
    assert got["metrics"]["peak_n"] == 70.0 and got["metrics"]["samples"] == t.size


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k, v in b.items():
        if isinstance(v, float):
            assert a[k] == pytest.approx(v, rel=1e-9, abs=1e-9), k
        else:
            assert a[k] == v, k


def test_long_trace_envelope_keeps_extremes_and_every_csv_row(store: SessionStore) -> None:
    n = IN_MEMORY_MAX + 100_000  # past the in-memory path: streamed equal-time buckets
    t, f = _presses(n)
    meta = _record(store, t, f)
    tr = read_trace(store, "long", None, None, 2000)
    assert tr["decimated"] and 1900 <= len(tr["t_s"]) <= 2000
    # every real extreme survives (the 3 ms push, the release to 0); the glitch is only a mark
    assert max(tr["max_n"]) == 70.0 and min(tr["min_n"]) == 0.0
    assert t[n // 3] in tr["glitch_t_s"]  # (the synthetic 30 N steps in 1 ms count as well)
    assert np.all(np.diff(tr["t_s"]) > 0) and tr["t_s"][0] == 0.0
    part = read_trace(store, "long", 100.0, 110.0, 100)  # zoom: small range, in memory
    assert part["decimated"] and 100.0 <= part["t_s"][0] < 100.2 and len(part["t_s"]) == 100
    at = float(t[n // 3])  # a zoomed read right after the glitch still guards (look-behind)
    near = read_trace(store, "long", at - 0.0005, at + 0.01, 1000)
    assert max(near["max_n"]) < 31.0 and near["glitch_t_s"] == [at]
    after = read_trace(store, "long", at + 0.0005, at + 0.01, 1000)
    assert after["glitch_t_s"] == [] and max(after["max_n"]) < 31.0
    full = read_trace(store, "long", 100.0, 100.05, 1000)
    assert not full["decimated"] and full["t_s"] == pytest.approx(t[100_000:100_051].tolist())
    rows = sum(
        chunk.count("\n")
        for chunk in csv_lines(meta, store.iter_samples("long"))
        if chunk[0] != "#"
    )
    assert rows == n + 1  # header + one row per sample, streamed chunk by chunk


def test_sync_makes_writes_readable_at_once_and_gives_up_on_a_failing_disk(tmp_path: Path) -> None:
    good = SessionStore(tmp_path / "good")
    good.open()
    try:
        good.create_session({"id": "s", "started_at": "2026-11-23T10:00:00Z"})
        good.end_session("s", "2026-11-23T10:01:00Z")
        assert good.sync() is True  # well before the writer's own 0.5 s deadline
        assert good.get_session("s")["ended_at"] == "2026-11-23T10:01:00Z"  # type: ignore[index]
    finally:
        good.close()
    assert good.sync() is False  # no writer any more: no waiting either

    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    bad = SessionStore(blocker / "data")  # cannot be created, even by root
    bad.open()
    try:
        bad.create_session({"id": "s", "started_at": "2026-11-23T10:00:00Z"})
        assert bad.sync(timeout_s=1.0) is False and not bad.ok  # the read then goes ahead
    finally:
        bad.close()
