"""The concrete sources: simulated hand, serial device (with reconnect), CSV replay."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from presshold.errors import SourceError, TraceFormatError
from presshold.firmware_bridge.calibration import Calibration, CalibrationStore, default_for_unit
from presshold.firmware_bridge.protocol import LineParser
from presshold.firmware_bridge.simulator import (
    SIM_OFFSET_RAW,
    SIM_SCALE_N_PER_RAW,
    HandModel,
    HandTarget,
)
from presshold.firmware_bridge.source import Source, SourceSink, SourceStatus


class _Threaded(Source):
    """Shared thread/status plumbing."""

    def __init__(self, status: SourceStatus, store: CalibrationStore | None) -> None:
        super().__init__(store)
        self._status = status
        self._status_lock = threading.Lock()
        self._sink: SourceSink | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def status(self) -> SourceStatus:
        with self._status_lock:
            return dataclasses.replace(self._status, rejected=dict(self._status.rejected))

    def _set_status(self, **changes: object) -> None:
        with self._status_lock:
            self._status = dataclasses.replace(self._status, **changes)  # type: ignore[arg-type]
        if self._sink is not None:
            self._sink.on_status(self.status)

    def start(self, sink: SourceSink) -> None:
        if self._thread is not None:
            return
        self._sink = sink
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=3)
            self._thread = None

    def _run(self) -> None:
        raise NotImplementedError


class SimulatedSource(_Threaded):
    """The hand model in real time, in small batches (~50 per second)."""

    def __init__(
        self, rate_hz: float = 80.0, store: CalibrationStore | None = None, seed: int | None = None
    ):
        super().__init__(
            SourceStatus(
                connected=False,
                source="sim",
                kind="sim",
                sensor="simulated hand (HX711 model)",
                sensor_id="sim",
                device="sim",
                rate_hz=rate_hz,
                unit="raw",
            ),
            store,
        )
        self.model = HandModel(rate_hz, seed=int(time.time()) if seed is None else seed)
        default = Calibration(offset_raw=SIM_OFFSET_RAW, scale_n_per_raw=SIM_SCALE_N_PER_RAW)
        self._use_calibration("sim", default)

    def follow_settings(self, target_n: float, tolerance_n: float, hold_s: float) -> None:
        """The simulated therapist aims at what the dashboard shows."""
        self.model.target = HandTarget(target_n, tolerance_n, hold_s)

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
                self._sink.on_readings(self._make_batch(t_s, raw))
        self._set_status(connected=False)


class SerialSource(_Threaded):
    """A PressHold device on a serial port; survives unplug/replug and device resets."""

    READ_TIMEOUT_S = 0.05

    def __init__(self, port: str, store: CalibrationStore | None = None, baud: int = 115200):
        super().__init__(SourceStatus(connected=False, source=port, kind="serial"), store)
        self.port = port
        self.baud = baud
        self._serial_number: str | None = None
        self._last_t_s = float("-inf")  # across reconnects: t_s never runs backwards
        self._ser: Any = None  # a serial.Serial while connected
        self._use_calibration(port, Calibration())

    def request_hello(self) -> None:
        ser = self._ser
        if ser is not None:
            with contextlib.suppress(Exception):
                ser.write(b"?\n")

    def _find_port(self) -> str | None:
        """Same path if present, else a port with the same USB serial number."""
        import serial.tools.list_ports

        if "://" in self.port or Path(self.port).exists():
            return self.port
        if self._serial_number:
            for p in serial.tools.list_ports.comports():
                if p.serial_number == self._serial_number:
                    return p.device
        # Windows COMn names are not filesystem paths: just try them
        return None if Path(self.port).is_absolute() else self.port

    def _open(self, device: str):  # type: ignore[no-untyped-def]
        import serial

        ser = serial.serial_for_url(device, baudrate=self.baud, timeout=self.READ_TIMEOUT_S)
        if self._serial_number is None:
            import serial.tools.list_ports

            real = str(Path(device).resolve()) if "://" not in device else device
            for p in serial.tools.list_ports.comports():
                if p.device in (device, real) and p.serial_number:
                    self._serial_number = p.serial_number
        return ser

    def _run(self) -> None:
        import serial

        while not self._stopping.is_set():
            device = self._find_port()
            if device is None:
                self._stopping.wait(0.2)
                continue
            try:
                self._ser = self._open(device)
            except (serial.SerialException, OSError, ValueError) as exc:
                self._set_status(connected=False, message=f"cannot open {device}: {exc}")
                self._stopping.wait(0.3)
                continue
            self._set_status(connected=True, device=device, message=f"opened {device}")
            self.request_hello()
            try:
                self._pump(self._ser)
            except (serial.SerialException, OSError) as exc:
                self._set_status(connected=False, message=f"lost {device}: {exc}")
            finally:
                with contextlib.suppress(Exception):
                    self._ser.close()
                self._ser = None
            if self.status.connected:
                self._set_status(connected=False)
        self._set_status(connected=False)

    def _pump(self, ser) -> None:  # type: ignore[no-untyped-def]
        parser = LineParser()
        anchor: tuple[float, int] | None = None  # (host monotonic, device us) at first reading
        last_status = 0.0
        reported: dict[str, int] = {}
        while not self._stopping.is_set():
            data = ser.read(ser.in_waiting or 1)
            now = time.monotonic()
            if not data:
                continue
            got = parser.feed(data)
            for hello in got.hellos:
                anchor = None
                sid = self._serial_number or hello.sensor
                self._use_calibration(sid, default_for_unit(hello.unit, sid))
                self._set_status(
                    sensor=hello.sensor,
                    sensor_id=sid,
                    rate_hz=hello.rate_hz,
                    unit=hello.unit,
                    message=f"hello: {hello.sensor} at {hello.rate_hz} Hz, unit {hello.unit}",
                )
            if got.resets:
                anchor = None
            for c in got.comments:
                self._set_status(message=c)
            if got.t_us:
                t_us = np.asarray(got.t_us, dtype=np.int64)
                if anchor is None or t_us[0] < anchor[1]:
                    anchor = (now - (t_us[-1] - t_us[0]) / 1e6, int(t_us[0]))
                t_s = anchor[0] + (t_us - anchor[1]) / 1e6
                if t_s[0] <= self._last_t_s:  # re-anchored behind a device clock running fast
                    shift = self._last_t_s - t_s[0] + 1e-6
                    anchor = (anchor[0] + shift, anchor[1])
                    t_s = t_s + shift
                self._last_t_s = float(t_s[-1])
                if self._sink is not None:
                    self._sink.on_readings(
                        self._make_batch(t_s, np.asarray(got.values, dtype=np.float64))
                    )
            if got.arrival_values:  # Serial-Plotter-style sketch: no device clock, stamp now
                n = len(got.arrival_values)
                t_s = np.asarray(max(now, self._last_t_s + 1e-6) + np.arange(n) * 1e-6, np.float64)
                self._last_t_s = float(t_s[-1])
                if self._sink is not None:
                    self._sink.on_readings(
                        self._make_batch(t_s, np.asarray(got.arrival_values, dtype=np.float64))
                    )
            if parser.rejected != reported and now - last_status >= 0.5:
                reported = dict(parser.rejected)
                last_status = now
                self._set_status(rejected=reported)


class ReplaySource(_Threaded):
    """Replays a recorded CSV (``t_s,force_n[,raw]`` with ``#`` header lines) in real time."""

    def __init__(self, path: Path, store: CalibrationStore | None = None, speed: float = 1.0):
        self.path = Path(path)
        self.t, self.raw = _read_trace(self.path)
        rate = float(1.0 / np.median(np.diff(self.t))) if len(self.t) > 1 else None
        super().__init__(
            SourceStatus(
                connected=False,
                source=str(path),
                kind="replay",
                sensor=self.path.name,
                sensor_id=f"replay:{self.path.name}",
                device=str(path),
                rate_hz=rate,
                unit="N",
            ),
            store,
        )
        self.speed = speed
        self._use_calibration(None, Calibration())

    def _run(self) -> None:
        self._set_status(connected=True)
        t0 = time.monotonic()
        rel = (self.t - self.t[0]) / self.speed
        i = 0
        while i < len(rel) and not self._stopping.wait(0.02):
            j = int(np.searchsorted(rel, time.monotonic() - t0, side="right"))
            if j > i and self._sink is not None:
                self._sink.on_readings(self._make_batch(t0 + rel[i:j], self.raw[i:j]))
            i = max(i, j)
        self._set_status(connected=False, message="replay finished")


def _read_trace(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc}") from exc
    rows = [(n, ln) for n, ln in enumerate(lines, 1) if ln.strip() and not ln.startswith("#")]
    if not rows:
        raise TraceFormatError(f"{path}: no samples")
    header = [h.strip() for h in rows[0][1].split(",")]
    if "t_s" not in header or "force_n" not in header:
        raise TraceFormatError(f"{path}:{rows[0][0]}: header needs t_s and force_n columns")
    ti, fi = header.index("t_s"), header.index("force_n")
    t, f = [], []
    for n, ln in rows[1:]:
        cells = ln.split(",")
        try:
            t.append(float(cells[ti]))
            f.append(float(cells[fi]))
        except (ValueError, IndexError) as exc:
            raise TraceFormatError(f"{path}:{n}: {exc}") from exc
    return np.asarray(t), np.asarray(f)


def open_source(spec: str, *, data_dir: Path, rate_hz: float | None = None) -> Source:
    """``sim``, a CSV path, or a serial port / pyserial URL."""
    store = CalibrationStore(data_dir)
    if spec == "sim":
        return SimulatedSource(rate_hz or 80.0, store)
    if spec.lower().endswith(".csv"):
        return ReplaySource(Path(spec), store)
    return SerialSource(spec, store)


# USB vendor ids of boards and USB-serial chips a PressHold sensor is built on
LIKELY_VIDS = {
    0x2341: "Arduino",
    0x2A03: "Arduino",
    0x1A86: "CH340",
    0x10C4: "CP210x",
    0x0403: "FTDI",
    0x239A: "Adafruit",
}


def list_candidate_ports() -> list[str]:
    """Ports that look like a sensor board (Arduino, CH340, CP210x, FTDI USB serial)."""
    import serial.tools.list_ports

    return [p.device for p in serial.tools.list_ports.comports() if p.vid in LIKELY_VIDS]


def choose_default_source() -> str:
    ports = list_candidate_ports()
    if len(ports) == 1:
        return ports[0]
    if not ports:
        raise SourceError("no USB serial sensor found; plug one in, or use --source sim")
    raise SourceError(f"several serial ports found ({', '.join(ports)}); pick one with --source")
