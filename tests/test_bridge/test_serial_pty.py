"""The real serial path over a pty: order, units, garbage, micros wrap, unplug/replug."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.collect import Collect, streaming
from support.pty_device import PtyDevice

from presshold.firmware_bridge import ReadingBatch, open_source
from presshold.firmware_bridge.calibration import Calibration, CalibrationStore
from presshold.firmware_bridge.protocol import LineParser
from presshold.firmware_bridge.serial_source import SerialSource


@pytest.fixture
def device(tmp_path: Path):  # type: ignore[no-untyped-def]
    with PtyDevice(tmp_path / "ttyPRESSHOLD") as dev:
        yield dev


def test_readings_arrive_in_order_in_newtons_despite_garbage(device, tmp_path: Path) -> None:
    with streaming(device.path, data_dir=tmp_path) as (src, sink):
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


def test_micros_wrap_keeps_time_increasing(device, tmp_path: Path) -> None:
    with streaming(device.path, data_dir=tmp_path) as (_, sink):
        device.send_hello()
        device.send_readings([2**32 - 1000, 2**32 - 10, 5, 1000], [1, 2, 3, 4])
        assert sink.wait(lambda: len(sink.values()) == 4)
        np.testing.assert_allclose(np.diff(sink.times()), [990e-6, 15e-6, 995e-6], atol=1e-9)


def test_unplug_and_replug_behind_same_link(device, tmp_path: Path) -> None:
    with streaming(device.path, data_dir=tmp_path) as (src, sink):
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


def test_device_reset_and_cut_lines_keep_time_monotonic(device, tmp_path: Path) -> None:
    with streaming(device.path, data_dir=tmp_path) as (src, sink):
        device.send_hello()
        device.send_readings([5_000_000, 5_001_000], [1, 2])
        device.send_readings([300], [3])  # reset without a hello
        assert sink.wait(lambda: len(sink.values()) == 3)
        # v1 lines that lost their start (UART overrun, reset mid-line) look like Serial-Plotter
        # lines; from a v1 device they are garbage, never readings
        device.write(b"45,force_n:4\nt_# presshold 1 sensor=pty-test rate=80 unit=N\n")
        device.send_hello()
        device.send_readings([100, 200], [5, 6])
        assert sink.wait(lambda: len(sink.values()) == 5)
        np.testing.assert_allclose(sink.values(), [1, 2, 3, 5, 6])
        assert np.all(np.diff(sink.times()) > 0)
        assert sink.wait(lambda: src.status.rejected == {"reset": 1, "garbage": 2})


def test_a_serial_plotter_sketch_is_read_on_arrival(device, tmp_path: Path) -> None:
    """An existing sketch printing 'load:12.5 temp:21': no hello, no device clock."""
    with streaming(device.path, data_dir=tmp_path) as (src, sink):
        time.sleep(0.1)
        device.write(b"boot\n")  # the first line after opening may be cut: not trusted
        for k in range(1, 6):
            device.write(f"load:{k}.5\ttemp:21\n".encode())
        assert sink.wait(lambda: len(sink.values()) == 5)
        np.testing.assert_allclose(sink.values(), [1.5, 2.5, 3.5, 4.5, 5.5])  # newtons as sent
        assert np.all(np.diff(sink.times()) > 0)
        assert sink.wait(lambda: src.status.rejected == {"partial": 1})


def _runs(values: np.ndarray) -> list[tuple[int, int]]:
    """Contiguous runs of consecutive integers, as (first, last)."""
    v = values.astype(int)
    breaks = np.flatnonzero(np.diff(v) != 1)
    starts = [0, *(breaks + 1)]
    ends = [*breaks, len(v) - 1]
    return [(int(v[a]), int(v[b])) for a, b in zip(starts, ends, strict=True)]


def test_streaming_unplug_replug_loses_nothing_sent_while_connected(device, tmp_path) -> None:
    """A 200 Hz stream keeps going while the cable is out (the device clock runs on). What the
    device sent while PressHold was connected arrives complete: exactly two unbroken runs."""
    device.rate_hz = 200
    with streaming(device.path, data_dir=tmp_path) as (src, sink):
        device.send_hello(rate=200)
        device.start_stream(lambda t: round(t * 200))  # value = sample index
        assert sink.wait(lambda: len(sink.values()) >= 100, timeout=10)
        device.unplug()
        assert sink.wait(lambda: not src.status.connected, timeout=5)
        before = len(sink.values())
        time.sleep(0.3)
        device.replug()
        assert sink.wait(lambda: src.status.connected, timeout=5)
        assert sink.wait(lambda: len(sink.values()) >= before + 100, timeout=10)
        device.stop_stream()
        values, times = sink.values(), sink.times()
        (a0, a1), (b0, b1) = _runs(values)
        assert a0 <= 1 and a1 - a0 >= 99 and b1 - b0 >= 99
        assert b0 - a1 >= 0.3 * 200  # the gap covers the time unplugged
        assert np.all(np.diff(times) > 0)
        gap = times[a1 - a0 + 1] - times[a1 - a0]
        assert gap >= 0.3  # the recording sees the gap in time as well
        assert sum(s.connected is False for s in sink.statuses) >= 1


class FakePort:
    """What serial.tools.list_ports reports for a USB board (the edge we fake: no real USB)."""

    def __init__(self, device: str, serial_number: str) -> None:
        self.device = device
        self.serial_number = serial_number
        self.vid, self.pid = 0x2341, 0x0043
        self.description = "Arduino Uno"


def test_replug_under_a_new_name_is_found_by_usb_serial_number(tmp_path, monkeypatch) -> None:
    """ttyACM0 comes back as ttyACM1: same USB serial number, so reading resumes there."""
    import os

    import serial.tools.list_ports

    ports: list[FakePort] = []
    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda *a, **k: list(ports))
    first = PtyDevice(tmp_path / "ttyACM0")
    ports.append(FakePort(os.path.realpath(first.path), "PH-0001"))
    src = open_source(first.path, data_dir=tmp_path)
    sink = Collect()
    src.start(sink)
    second = None
    try:
        assert sink.wait(lambda: src.status.connected, timeout=5)
        assert sink.wait(lambda: src.status.sensor_id == "PH-0001")  # identity: serial number
        first.send_hello(sensor="probe")
        first.send_readings([1000, 2000], [1, 2])
        assert sink.wait(lambda: len(sink.values()) == 2)
        first.close()
        ports.clear()
        assert sink.wait(lambda: not src.status.connected, timeout=5)
        second = PtyDevice(tmp_path / "ttyACM1")
        ports.append(FakePort(os.path.realpath(second.path), "PH-0001"))
        assert sink.wait(lambda: src.status.connected, timeout=5)
        assert src.status.device == os.path.realpath(second.path)
        second.send_hello(sensor="probe")
        second.send_readings([500, 1500], [3, 4])
        assert sink.wait(lambda: len(sink.values()) == 4)
        np.testing.assert_allclose(sink.values(), [1, 2, 3, 4])
        assert src.status.sensor_id == "PH-0001" and src.status.source == first.path
    finally:
        src.stop()
        first.close()
        if second is not None:
            second.close()


def test_device_messages_are_shown_and_survive_a_reconnect(device, tmp_path) -> None:
    with streaming(device.path, data_dir=tmp_path) as (src, sink):
        device.send_hello(unit="raw")
        device.write(b"\xff\xfe\n# hx711 not responding\n")  # garbage, then the report; no data
        assert sink.wait(lambda: src.status.message == "hx711 not responding")
        assert src.status.device_messages == ["hx711 not responding"]
        assert sink.wait(lambda: src.status.rejected.get("garbage") == 1)  # reported while idle
        assert not src.status.calibrated  # raw counts, never fitted: the dashboard can say so
        device.replug()
        assert sink.wait(lambda: src.status.connected, timeout=5)
        time.sleep(0.1)
        device.write(b"junk\n# hx711 ok again\n")
        assert sink.wait(lambda: src.status.message == "hx711 ok again")
        assert src.status.device_messages == ["hx711 not responding", "hx711 ok again"]
        # counts add up over connections ("junk" is garbage, or "partial" if it came first)
        assert sink.wait(lambda: sum(src.status.rejected.values()) == 2)


def test_socket_url_source_reconnects(tmp_path) -> None:
    """Any pyserial URL: a sensor behind socket:// (e.g. a Wi-Fi bridge), dropped and back."""
    import socket

    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    batches = [
        b"# presshold 1 sensor=net rate=80 unit=N\nt_us:1000,force_n:1\nt_us:2000,force_n:2\n",
        b"# presshold 1 sensor=net rate=80 unit=N\nt_us:9000,force_n:3\n",
    ]

    def serve() -> None:
        for payload in batches:
            conn, _ = server.accept()
            with conn:
                conn.recv(16)  # the host's '?' hello request
                conn.sendall(payload)
                time.sleep(0.2)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    src = open_source(f"socket://127.0.0.1:{port}", data_dir=tmp_path)
    sink = Collect()
    src.start(sink)
    try:
        assert sink.wait(lambda: len(sink.values()) == 3, timeout=10)
        np.testing.assert_allclose(sink.values(), [1, 2, 3])
        assert np.all(np.diff(sink.times()) > 0)
        assert any(not s.connected for s in sink.statuses)  # the drop was reported
        assert src.status.sensor == "net"
    finally:
        src.stop()
        server.close()
        thread.join(timeout=5)


def test_loop_url_source(tmp_path) -> None:
    """``loop://`` echoes what is written: the host's own '?' comes back as a counted line."""
    with streaming("loop://", data_dir=tmp_path) as (src, sink):
        src._ser.write(b"# presshold 1 sensor=loop rate=80 unit=g\nt_us:5,raw:1000\n")
        assert sink.wait(lambda: len(sink.values()) == 1)
        np.testing.assert_allclose(sink.values(), [9.80665])  # 1000 g


def test_rate_is_measured_when_unannounced_and_checked_when_announced(device, tmp_path) -> None:
    """An HX711 with its RATE pin low delivers 10 SPS while the sketch says 80: say so."""
    with streaming(device.path, data_dir=tmp_path) as (src, sink):
        device.send_hello(rate=80, unit="raw")
        device.send_readings(range(0, 5_000_000, 100_000), range(50), label="raw")  # 10 Hz
        assert sink.wait(lambda: "delivers 10.0 Hz" in (src.status.message or ""))
        assert src.status.rate_hz == 80  # the announced figure stays; the message explains
        device.write(b"# presshold 1 sensor=quiet unit=raw\n")  # no rate announced
        device.send_readings(range(3_000_000, 6_000_000, 12_500), [1] * 240, label="raw")
        assert sink.wait(lambda: src.status.rate_hz == 80.0)  # measured in device time


def test_a_pause_in_readings_is_not_a_rate_error(device, tmp_path) -> None:
    with streaming(device.path, data_dir=tmp_path) as (src, sink):
        device.send_hello(rate=80, unit="raw")
        device.send_readings(range(12_500, 1_912_500, 12_500), [1] * 152, label="raw")
        device.write(b"# hx711 not responding\n")  # 1 s without conversions
        device.send_readings(range(2_900_000, 3_400_000, 12_500), [1] * 40, label="raw")
        device.write(b"# done\n")
        assert sink.wait(lambda: src.status.message == "done"), [s.message for s in sink.statuses]
        assert "delivers" not in " ".join(m.message or "" for m in sink.statuses)


def test_rate_of_a_plotter_sketch_is_measured(tmp_path) -> None:
    """No hello, no device clock: the rate comes from the arrival stamps (fed directly here)."""
    src = open_source("/dev/nonexistent-presshold", data_dir=tmp_path)
    assert src.status.rate_hz is None
    src._measure_rate(np.arange(0, 1.0, 0.01), False)  # type: ignore[attr-defined]
    src._measure_rate(np.arange(1.0, 2.5, 0.01), False)  # type: ignore[attr-defined]
    assert src.status.rate_hz == 100.0


def test_a_failing_consumer_does_not_end_the_reader(device, tmp_path) -> None:
    """Never crash: even a bug downstream only costs a reconnect, reported in the status."""
    src = open_source(device.path, data_dir=tmp_path)
    sink = Collect()
    fail = {"once": True}

    def on_readings(batch: ReadingBatch) -> None:
        if fail.pop("once", False):
            raise RuntimeError("consumer bug")
        Collect.on_readings(sink, batch)

    sink.on_readings = on_readings  # type: ignore[method-assign]
    src.start(sink)
    try:
        assert sink.wait(lambda: src.status.connected)
        device.send_hello()
        device.send_readings([1000], [1.0])
        assert sink.wait(lambda: any("consumer bug" in (s.message or "") for s in sink.statuses))
        assert sink.wait(lambda: src.status.connected)
        time.sleep(0.3)
        device.send_readings([2000], [2.0])
        assert sink.wait(lambda: len(sink.values()) == 1)
        np.testing.assert_allclose(sink.values(), [2.0])
    finally:
        src.stop()


def test_raw_readings_without_a_hello_are_never_taken_for_newtons(device, tmp_path) -> None:
    """The hello was lost: ``raw:84213`` is raw counts (uncalibrated), not an 84 kN press."""
    with streaming(device.path, data_dir=tmp_path) as (src, sink):
        device.send_readings([1000, 2000], [84213, 84215], label="raw")
        assert sink.wait(lambda: len(sink.values()) == 2)
        assert sink.wait(lambda: src.status.unit == "raw")
        assert not src.status.calibrated and not src.calibration.calibrated
        device.send_hello(unit="kgf")  # a hello still has the last word
        assert sink.wait(lambda: src.status.unit == "kgf" and src.status.calibrated)


def test_raw_readings_without_a_hello_use_the_stored_calibration(device, tmp_path) -> None:
    store = CalibrationStore(tmp_path)
    store.save(Calibration(offset_raw=84000, scale_n_per_raw=0.01, sensor_id=device.path))
    with streaming(device.path, data_dir=tmp_path) as (src, sink):
        device.send_readings([1000, 2000], [84000, 84500], label="raw")
        assert sink.wait(lambda: len(sink.values()) == 2)
        np.testing.assert_allclose(sink.values(), [0.0, 5.0])
        assert src.status.calibrated


def test_force_readings_without_a_hello_are_newtons(device, tmp_path) -> None:
    with streaming(device.path, data_dir=tmp_path) as (src, sink):
        device.send_readings([1000, 2000], [12.5, 13.0], label="force_n")
        assert sink.wait(lambda: len(sink.values()) == 2)
        np.testing.assert_allclose(sink.values(), [12.5, 13.0])
        assert src.status.unit == "N" and src.status.calibrated


def test_plotter_lines_with_units_arrive_in_newtons(device, tmp_path: Path) -> None:
    """A sketch printing ``12.3 N`` / ``4.1 lbf``: read with its unit, not as bare numbers."""
    with streaming(device.path, data_dir=tmp_path) as (src, sink):
        time.sleep(0.1)
        device.write(b"# a plotter sketch\n12.3 N\n4.1 lbf\n")
        assert sink.wait(lambda: len(sink.values()) == 2)
        assert sink.values() == pytest.approx([12.3, 4.1 * 4.4482216152605])
        assert sink.wait(lambda: "(lbf)" in (src.status.message or ""))
        assert src.status.unit == "N"


class CollectTimed(Collect):
    """Also notes when each batch reached the sink."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: list[float] = []

    def on_readings(self, batch: ReadingBatch) -> None:
        with self.lock:
            self.arrived.append(time.monotonic())
        super().on_readings(batch)


def test_a_fast_stream_is_read_in_paced_batches_losing_and_miscounting_nothing(
    device, tmp_path
) -> None:
    """At 1 kHz the reader hands over a batch at most every ``BATCH_INTERVAL_S`` (not one per
    line), and batching changes nothing else: every reading in order with its device spacing,
    and the rejected lines counted exactly as a parser fed the whole stream at once counts them
    (garbage, non-finite values, a line split across two writes)."""
    src = open_source(device.path, data_dir=tmp_path)
    interval = src.BATCH_INTERVAL_S  # type: ignore[attr-defined]
    sink = CollectTimed()
    src.start(sink)
    written = bytearray()

    def send(data: bytes) -> None:
        written.extend(data)
        device.write(data)

    try:
        assert sink.wait(lambda: src.status.connected)
        time.sleep(0.1)  # pyserial flushes what arrived before it opened the port
        send(b"# presshold 1 sensor=fast rate=1000 unit=N\n")
        n, t0 = 800, time.monotonic()
        for k in range(1, n + 1):
            line = f"t_us:{k * 1000},force_n:{k}\n".encode()
            if k % 97 == 0:
                send(b"\xff\xfe garbage\n")
            if k % 131 == 0:
                send(f"t_us:{k * 1000 - 500},force_n:nan\n".encode())
            if k % 50 == 0:  # the rest of this line comes a moment later
                send(line[:9])
                time.sleep(0.0005)
                line = line[9:]
            send(line)
            time.sleep(max(0.0, t0 + k / 1000 - time.monotonic()))
        assert sink.wait(lambda: len(sink.values()) == n, timeout=10)
        whole = LineParser()
        whole.feed(bytes(written))
        assert whole.rejected == {"garbage": 8, "non_finite": 6}
        assert sink.wait(lambda: src.status.rejected == whole.rejected, timeout=5)
    finally:
        src.stop()
    np.testing.assert_array_equal(sink.values(), np.arange(1, n + 1, dtype=float))
    # stamped in device time, not on arrival: 1 ms apart inside a batch (the clock only
    # squeezes a batch that would otherwise step back, while its offset settles)
    inside = np.concatenate([np.diff(b.t_s) for b in sink.batches])
    assert np.all(inside > 0) and np.all(inside <= 0.001 + 1e-9)
    assert abs(float(np.median(inside)) - 0.001) < 1e-9
    assert np.all(np.diff(sink.times()) > 0)
    span = sink.arrived[-1] - sink.arrived[0]
    assert len(sink.batches) <= span / interval + 2, (len(sink.batches), span)


@settings(max_examples=60, deadline=None)
@given(
    cuts=st.lists(st.integers(1, 4000), max_size=400),
    gap_at=st.lists(st.integers(1, 3999), max_size=3),
)
def test_the_rate_check_judges_the_same_windows_however_the_stream_is_batched(
    cuts: list[int], gap_at: list[int]
) -> None:
    """The reader hands over ~4 readings at a time at 1 kHz, counted by a fast path without
    NumPy: it closes the same rate windows, and judges the same rates, as the full count."""
    t = np.arange(4000) / 1000.0 + np.random.default_rng(len(cuts)).uniform(0, 2e-4, 4000)
    for g in gap_at:  # a pause (a missing HX711): a new count starts after it
        t[g:] += 0.5

    def judged(fast: bool) -> list[float]:
        src = SerialSource("/dev/nonexistent-presshold")
        seen: list[float] = []
        src._judge_rate = seen.append  # type: ignore[method-assign]
        if not fast:
            src._continues_window = lambda t: False  # type: ignore[method-assign]
        for a, b in itertools.pairwise([0, *sorted(set(cuts)), len(t)]):
            if b > a:
                src._measure_rate(t[a:b], False)
        return seen

    assert judged(fast=True) == judged(fast=False)


def test_the_reader_pauses_only_for_lines_that_come_faster_than_its_batches() -> None:
    from presshold.firmware_bridge.serial_source import _faster_than

    interval = SerialSource.BATCH_INTERVAL_S
    assert interval < 0.0125  # an HX711's 80 Hz: every line is read as it arrives
    assert not _faster_than(interval, [12_500], 0)
    assert not _faster_than(interval, [12_500, 25_000], None)  # two lines bunched on arrival
    assert _faster_than(interval, [1000, 2000, 3000], 0)  # 1 kHz
    assert _faster_than(interval, [4000], 3000)
    assert not _faster_than(interval, [5_000_000], 3000)  # the first line after a pause
    assert _faster_than(interval, [5_000_000], None)  # nothing known yet: pace
