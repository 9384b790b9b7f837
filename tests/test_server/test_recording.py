"""Recording via the real server: every pty sample reaches the CSV; kill -9 recovery."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from support.csvfile import read_export
from support.kill9 import kill_9_while_recording
from support.pty_device import PtyDevice
from support.server import ServerProcess

from presshold.firmware_bridge.source import ReadingBatch
from presshold.server.exports import csv_lines
from presshold.server.recorder import Recorder
from presshold.server.store import SessionStore


@pytest.fixture
def client() -> Iterator[Callable[[str], httpx.Client]]:
    """Open HTTP clients that are all closed at the end of the test."""
    opened: list[httpx.Client] = []

    def make(url: str) -> httpx.Client:
        opened.append(httpx.Client(base_url=url, timeout=5))
        return opened[-1]

    yield make
    for c in opened:
        c.close()


def _wait(pred, timeout_s: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def _csv_values(text: str) -> np.ndarray:
    _, header, rows = read_export(text)
    assert header[:6] == ["t_s", "force_n", "raw", "force_display_n", "force_detect_n", "state"]
    return np.array([[float(x) for x in r[:5]] for r in rows])


def test_every_sample_of_a_pty_sensor_is_exported(
    tmp_path: Path, client: Callable[[str], httpx.Client]
) -> None:
    with (
        PtyDevice(tmp_path / "ttyPH") as dev,
        ServerProcess(tmp_path / "d", source=dev.path) as srv,
    ):
        api = client(srv.url)
        _wait(lambda: api.get("/api/health").json()["connected"])
        dev.send_hello(sensor="export-test", rate=80, unit="N")
        time.sleep(0.3)
        values = np.arange(1, 201, dtype=float)  # 200 distinct forces, one per reading
        dev.send_readings(1_000_000 + np.arange(200) * 12_500, values)
        _wait(lambda: api.get("/api/health").json()["recording"])
        time.sleep(1.5)  # > store flush period
        sid = api.post("/api/sessions/current/stop").json()["id"]
        time.sleep(1.0)
        data = _csv_values(api.get(f"/api/sessions/{sid}/export.csv").text)
        assert sorted(np.round(data[:, 1], 3).tolist())[-200:] == values.tolist()
        assert np.all(np.diff(data[:, 0]) > 0)
        meta = api.get(f"/api/sessions/{sid}/export.json").json()
        assert meta["sensor"] == "export-test" and meta["samples"] == len(data)


def test_kill_9_loses_at_most_the_last_second(
    tmp_path: Path, client: Callable[[str], httpx.Client]
) -> None:
    """Readings the live view showed more than a second before kill -9 are all on disk."""
    shown = kill_9_while_recording(tmp_path / "d", tmp_path / "ttyK")
    with ServerProcess(tmp_path / "d", source="sim") as srv2:
        api = client(srv2.url)
        old = [s for s in api.get("/api/sessions").json() if s["ended_at"] == "recovered"]
        assert len(old) == 1
        data = _csv_values(api.get(f"/api/sessions/{old[0]['id']}/export.csv").text)
        stored = set(data[:, 1].tolist())
        assert shown > 50 and set(np.arange(1.0, shown + 1).tolist()) <= stored


def test_bad_requests_are_clear_4xx(tmp_path: Path, client: Callable[[str], httpx.Client]) -> None:
    with ServerProcess(tmp_path) as srv:
        api = client(srv.url)
        assert api.get("/api/sessions/nope").status_code == 404
        assert api.get("/api/sessions/nope/export.csv").status_code == 404
        r = api.post(
            "/api/sessions", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert r.status_code == 422
        sid = api.post("/api/sessions", json={"label": "t"}).json()["id"]
        assert api.post(f"/api/sessions/{sid}/marks", json={"side": "X"}).status_code == 422
        assert (
            api.post(f"/api/sessions/{sid}/marks", json={"label": "trap", "side": "L"}).status_code
            == 201
        )
        assert api.get(f"/api/sessions/{sid}/trace?max_points=1").status_code == 422


def test_auto_started_session_never_exports_negative_time(tmp_path: Path) -> None:
    """Readings are stamped before the hub ingests them: the auto-started session begins at the
    first stamp, so its export starts at t_s = 0, not at minus the ingest delay."""
    store = SessionStore(tmp_path)
    store.open()
    try:
        recorder = Recorder(store)
        stamped = time.monotonic() - 0.25 + np.arange(50) * 0.002  # parked 0.15-0.25 s ago
        batch = ReadingBatch(t_s=stamped, raw=np.full(50, 20.0), force_n=np.full(50, 20.0))
        recorder.ingest(batch, True, lambda: {"settings": None})
        assert recorder.session is not None
        sid = recorder.session["id"]
        recorder.stop()
        assert store.sync()
        meta = store.get_session(sid)
        assert meta is not None
        text = "".join(csv_lines(meta, store.iter_samples(sid)))
        t = _csv_values(text)[:, 0]
        assert t.size == 50 and t[0] == 0.0 and np.all(t >= 0)
        assert np.allclose(np.diff(t), 0.002)
    finally:
        store.close()
