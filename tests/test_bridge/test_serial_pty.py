"""The real serial path over a pty: order, units, garbage, micros wrap, unplug/replug."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from support.pty_device import PtyDevice

from presshold.firmware_bridge import ReadingBatch, SourceStatus, open_source


class Collect:
    def __init__(self) -> None:
        self.batches: list[ReadingBatch] = []
        self.statuses: list[SourceStatus] = []
        self.lock = threading.Lock()

    def on_readings(self, batch: ReadingBatch) -> None:
        with self.lock:
            self.batches.append(batch)

    def on_status(self, status: SourceStatus) -> None:
        with self.lock:
            self.statuses.append(status)

    def values(self) -> np.ndarray:
        with self.lock:
            return (
                np.concatenate([b.force_n for b in self.batches]) if self.batches else np.empty(0)
            )

    def times(self) -> np.ndarray:
        with self.lock:
            return np.concatenate([b.t_s for b in self.batches]) if self.batches else np.empty(0)

    def wait(self, cond, timeout: float = 2.0) -> bool:  # type: ignore[no-untyped-def]
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if cond():
                return True
            time.sleep(0.01)
        return False


@pytest.fixture
def device(tmp_path: Path):  # type: ignore[no-untyped-def]
    with PtyDevice(tmp_path / "ttyPRESSHOLD") as dev:
        yield dev


def test_readings_arrive_in_order_in_newtons_despite_garbage(device, tmp_path: Path) -> None:
    src = open_source(device.path, data_dir=tmp_path)
    sink = Collect()
    src.start(sink)
    try:
        assert sink.wait(lambda: src.status.connected)
        time.sleep(0.1)
        device.send_hello(unit="kgf")
        assert sink.wait(lambda: src.status.unit == "kgf")
        device.send_readings([1000, 2000], [1.0, 2.0])
        device.write(b"\xff\xfe\x00garbage\nt_us:3000,force_n:nan\n" + b"x" * 300 + b"\n")
        device.send_readings([4000], [3.0])
        assert sink.wait(lambda: len(sink.values()) == 3)
        np.testing.assert_allclose(sink.values(), np.array([1.0, 2.0, 3.0]) * 9.80665)
        assert np.all(np.diff(sink.times()) > 0)
        # device spacing inside a batch; the late reading's 2 ms would lie in the future (it was
        # written right away), so it is stamped on arrival instead
        assert abs(np.diff(sink.times())[0] - 0.001) < 1e-9
        assert sink.wait(lambda: sum(src.status.rejected.values()) >= 3)
        rej = src.status.rejected
        assert rej["garbage"] >= 1 and rej["non_finite"] == 1 and rej["too_long"] == 1
    finally:
        src.stop()


def test_micros_wrap_keeps_time_increasing(device, tmp_path: Path) -> None:
    src = open_source(device.path, data_dir=tmp_path)
    sink = Collect()
    src.start(sink)
    try:
        assert sink.wait(lambda: src.status.connected)
        device.send_hello()
        device.send_readings([2**32 - 1000, 2**32 - 10, 5, 1000], [1, 2, 3, 4])
        assert sink.wait(lambda: len(sink.values()) == 4)
        np.testing.assert_allclose(np.diff(sink.times()), [990e-6, 15e-6, 995e-6], atol=1e-9)
    finally:
        src.stop()


def test_unplug_and_replug_behind_same_link(device, tmp_path: Path) -> None:
    src = open_source(device.path, data_dir=tmp_path)
    sink = Collect()
    src.start(sink)
    try:
        assert sink.wait(lambda: src.status.connected)
        device.send_hello()
        device.send_readings(range(1000, 11000, 1000), range(10))
        assert sink.wait(lambda: len(sink.values()) == 10)
        device.unplug()
        assert sink.wait(lambda: not src.status.connected, timeout=1.0)
        device.replug()
        assert sink.wait(lambda: src.status.connected, timeout=2.0)
        time.sleep(0.1)
        device.send_readings(range(500, 5500, 1000), range(10, 15))  # device restarted its clock
        assert sink.wait(lambda: len(sink.values()) == 15)
        np.testing.assert_allclose(sink.values(), np.arange(15.0))
        assert np.all(np.diff(sink.times()) > 0)
    finally:
        src.stop()


def test_device_reset_and_plotter_lines_keep_time_monotonic(device, tmp_path: Path) -> None:
    src = open_source(device.path, data_dir=tmp_path)
    sink = Collect()
    src.start(sink)
    try:
        assert sink.wait(lambda: src.status.connected)
        device.send_hello()
        device.send_readings([5_000_000, 5_001_000], [1, 2])
        device.send_readings([300], [3])  # reset without a hello
        assert sink.wait(lambda: len(sink.values()) == 3)
        device.write(b"force:4 temp:21\n")  # a device sends one format; batches keep their order
        assert sink.wait(lambda: len(sink.values()) == 4)
        device.send_hello()
        device.send_readings([100, 200], [5, 6])
        assert sink.wait(lambda: len(sink.values()) == 6)
        np.testing.assert_allclose(sink.values(), [1, 2, 3, 4, 5, 6])
        assert np.all(np.diff(sink.times()) > 0)
        assert sink.wait(lambda: src.status.rejected.get("reset") == 1)
    finally:
        src.stop()
