"""A sensor on a serial port or pyserial URL: block reads, reconnect, rate check."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections import deque
from typing import Any

import numpy as np

from presshold.firmware_bridge.calibration import (
    Calibration,
    CalibrationStore,
    default_for_unit,
    generic_sensor_id,
)
from presshold.firmware_bridge.clock import DeviceClock
from presshold.firmware_bridge.port_errors import explain
from presshold.firmware_bridge.ports import comports, list_ports
from presshold.firmware_bridge.protocol import LABEL_UNITS, Hello, LineParser, Parsed
from presshold.firmware_bridge.simulator import PTY_SIM_SENSOR, SIM_OFFSET_RAW, SIM_SCALE_N_PER_RAW
from presshold.firmware_bridge.source import DEVICE_MESSAGES, CalibrationMatch, SourceStatus
from presshold.firmware_bridge.threaded import ThreadedSource

log = logging.getLogger("presshold.bridge")


class SerialSource(ThreadedSource):
    """A PressHold device on any pyserial port or URL; survives unplug/replug and device resets.

    One reader thread does block reads (everything the port holds, never ``readline()``), feeds
    the pure :class:`LineParser`, stamps readings with a :class:`DeviceClock` and hands each batch
    to the sink, at most every ``BATCH_INTERVAL_S``. When the port fails or vanishes it reports
    ``connected: false`` and looks for the sensor again every 0.2 s: at the same path (or
    ``/dev/serial/by-id`` link), or under any name with the USB serial number it had.
    """

    READ_TIMEOUT_S = 0.05
    BATCH_INTERVAL_S = 0.004
    """After handing over device-timed readings, the reader lets the next ones gather in the
    port's buffer until this long after that read. A reader that wakes for every line of a
    1 kHz sensor spends most of its time waking up (a thread switch, system calls, a parse, a
    clock stamp and a batch per line: most of the server's CPU at 1 kHz); paced, it reads
    about four lines at a time, and the live view sends each batch as one frame. It costs a
    reading at most 4 ms (2 ms on average) and nothing below 250 Hz: the reader pauses only
    when the device's own clock shows lines closer together than that, so an 80 Hz line, 12.5 ms
    after the last, is read the moment it arrives. Why 4 ms: docs/architecture.md ("Why a serial
    batch every 4 ms"). Timestamps are unchanged (device time; the clock's offset follows the
    earliest-arriving lines). Serial-Plotter lines, which carry no device time and are stamped
    on arrival, are never held back."""
    SEARCH_PERIOD_S = 0.2
    PRESENCE_CHECK_S = 0.25
    STATUS_PERIOD_S = 0.5
    HELLO_RETRY_S = 2.5
    RATE_WINDOW_S = 2.0
    RATE_GAP_S = 0.2
    """Opening the port resets most Arduinos; ask again once the sketch is surely running."""
    PROBLEM_REFRESH_S = 5.0

    def __init__(self, port: str, store: CalibrationStore | None = None, baud: int = 115200):
        super().__init__(
            SourceStatus(connected=False, source=port, kind="serial", sensor_id=port), store
        )
        self.port = port
        self.baud = baud
        self._serial_number: str | None = None
        self._vid_pid: str | None = None  # USB VID:PID of the port, part of a generic identity
        self._hello: Hello | None = None
        self._label_unit: str | None = None  # unit the readings' label implies, until a hello
        self._plotter_unit: str | None = None  # unit plotter lines named (12.3 N, 4.1 lbf)
        self._clock = DeviceClock()
        self._rejected_before: dict[str, int] = {}
        self._messages: deque[str] = deque(maxlen=DEVICE_MESSAGES)
        self._ser: Any = None  # a serial.Serial while connected
        self._rate_start: tuple[float, int] | None = None  # (device s, intervals since)
        self._rate_last = 0.0
        self._rate_warned = False
        self._rate_off = 0  # consecutive windows far from the announced rate
        self._problem: tuple[tuple[str, str, str], float] | None = None  # (what, refresh at)
        self._use_calibration(port, Calibration())

    def request_hello(self) -> None:
        ser = self._ser
        if ser is not None:
            with contextlib.suppress(Exception):
                ser.write(b"?\n")

    # -- finding and opening the port ----------------------------------------------------------
    def _find_port(self) -> str | None:
        """Where the sensor is now: URL as given; same path; else its USB serial number."""
        if "://" in self.port:
            return self.port
        if self._serial_number:
            same = [p.device for p in comports() if p.serial_number == self._serial_number]
            if same:
                at_path = os.path.realpath(self.port) if _is_path(self.port) else self.port
                return self.port if at_path in same else same[0]
        if not _is_path(self.port):
            return self.port  # Windows COMn: not a file; just try it
        return self.port if os.path.exists(self.port) else None

    def _open(self, device: str) -> Any:
        import serial

        # exclusive: a second reader on one port would split its bytes with us (POSIX flock;
        # Windows COM ports are exclusive anyway; URL handlers have no such notion)
        extra = {} if "://" in device else {"exclusive": True}
        ser = serial.serial_for_url(
            device, baudrate=self.baud, timeout=self.READ_TIMEOUT_S, **extra
        )
        if self._serial_number is None and "://" not in device:
            names = {device, os.path.realpath(device) if _is_path(device) else device}
            for p in comports():
                if p.device in names:
                    self._serial_number = getattr(p, "serial_number", None) or None
                    vid, pid = getattr(p, "vid", None), getattr(p, "pid", None)
                    self._vid_pid = f"{vid:04x}:{pid:04x}" if vid is not None else None
        return ser

    def _run(self) -> None:
        import serial

        while not self._stopping.is_set():
            device = self._find_port()
            if device is None:
                self._cannot_use(self.port, None)
                self._stopping.wait(self.SEARCH_PERIOD_S)
                continue
            try:
                self._ser = self._open(device)
            except (serial.SerialException, OSError, ValueError) as exc:
                self._cannot_use(device, exc)
                self._stopping.wait(self.SEARCH_PERIOD_S)
                continue
            self._problem = None
            if self._serial_number and self.calibration.sensor_id != self._serial_number:
                self._identify(self._hello.sensor if self._hello else None, self._unit())
            log.info("sensor connected on %s", device)
            self._set_status(connected=True, device=device, message=f"connected on {device}")
            self.request_hello()  # pyserial flushed the boot hello when it opened the port
            try:
                self._pump(self._ser, device)
            except (serial.SerialException, OSError) as exc:
                log.warning("sensor lost on %s: %s", device, exc)
                self._set_status(connected=False, message=f"sensor lost on {device}: {exc}")
            except Exception as exc:  # a bug must not end the reader for the rest of the session
                log.exception("reader failed on %s", device)
                self._set_status(connected=False, message=f"reader error on {device}: {exc!r}")
                self._stopping.wait(self.SEARCH_PERIOD_S)
            finally:
                with contextlib.suppress(Exception):
                    self._ser.close()
                self._ser = None
        self._set_status(connected=False)

    def _cannot_use(self, device: str, exc: BaseException | None) -> None:
        """Say once (console and status) which port, why, and which ports exist; the search
        goes on every 0.2 s, and the port list in the sentence is refreshed every few seconds."""
        key = (device, type(exc).__name__, str(exc))
        now = time.monotonic()
        if self._problem is not None and self._problem[0] == key and now < self._problem[1]:
            return
        try:
            ports = list_ports()
        except Exception:  # listing is best effort: the reason still matters without it
            ports = []
        text = explain(device, exc, ports)
        if self._problem is None or self._problem[0] != key:
            log.warning("%s", text)
        self._problem = (key, now + self.PROBLEM_REFRESH_S)
        self._set_status(connected=False, message=text)

    # -- the hot path --------------------------------------------------------------------------
    def _pump(self, ser: Any, device: str) -> None:
        parser = LineParser()
        self._clock.reanchor()  # the device may have restarted while away
        presence = PresenceCheck(device, self.PRESENCE_CHECK_S)
        last_data = last_status = time.monotonic()
        ask_again_at = last_data + self.HELLO_RETRY_S
        reported: dict[str, int] = {}
        last_t_us: int | None = None  # device time of the last reading handed over
        try:
            while not self._stopping.is_set():
                data = _read_block(ser)
                now = time.monotonic()
                pace = False
                if data:
                    last_data = now
                    got = parser.feed(data)
                    if got.hellos:
                        ask_again_at = float("inf")
                    self._handle(got, now)
                    if got.t_us:
                        pace = _faster_than(self.BATCH_INTERVAL_S, got.t_us, last_t_us)
                        last_t_us = got.t_us[-1]
                if now >= ask_again_at:  # the first '?' may have reached a resetting board
                    ask_again_at = float("inf")
                    self.request_hello()
                if not data:
                    presence.check(now, quiet_since=last_data)
                if parser.rejected != reported and now - last_status >= self.STATUS_PERIOD_S:
                    reported, last_status = dict(parser.rejected), now
                    self._set_status(rejected=_add(self._rejected_before, reported))
                if pace:  # let the next readings gather (BATCH_INTERVAL_S); sleep, not an
                    # Event wait: it lets go of the interpreter at once, for the loop just woken
                    time.sleep(max(0.0, now + self.BATCH_INTERVAL_S - time.monotonic()))
        finally:
            self._rejected_before = _add(self._rejected_before, parser.rejected)
            if parser.rejected != reported:
                self._set_status(rejected=dict(self._rejected_before))

    def _handle(self, got: Parsed, now: float) -> None:
        for hello in got.hellos:
            self._on_hello(hello)
        if got.comments:
            for text in got.comments:
                log.warning("sensor says: %s", text)
            self._messages.extend(got.comments)
            self._set_status(message=got.comments[-1], device_messages=list(self._messages))
        if got.reanchor:
            self._clock.reanchor()
        if got.label is not None and self._hello is None:
            self._on_label(got.label)
        sink = self._sink
        if got.t_us:
            t_s = self._clock.stamp(np.asarray(got.t_us, dtype=np.int64), now)
            batch = self._make_batch(t_s, np.asarray(got.values, dtype=np.float64))
            self._measure_rate(np.asarray(got.t_us, dtype=np.float64) / 1e6, got.reanchor)
            if sink is not None:  # last: the loop wakes for it, and should find this thread idle
                sink.on_readings(batch)
            for t_us, pressed in got.button:  # after its reading: the station sees both in order
                self._button(float(t_s[got.t_us.index(t_us)]), pressed)
        if got.arrival_unit is not None and got.arrival_unit != self._plotter_unit:
            self._plotter_unit = got.arrival_unit  # "12.3 N": the parser converted to newtons
            self._set_status(message=f"readings carry their unit ({got.arrival_unit}): newtons")
        if got.arrival_values:  # a Serial-Plotter-style sketch: no device clock, stamp on arrival
            t_s = self._clock.stamp_arrival(len(got.arrival_values), now)
            batch = self._make_batch(t_s, np.asarray(got.arrival_values, dtype=np.float64))
            if sink is not None:
                sink.on_readings(batch)
            self._measure_rate(t_s, False)

    def _measure_rate(self, t: np.ndarray, restart: bool) -> None:
        """Count readings over windows of ``RATE_WINDOW_S``: fills in an unannounced rate, and
        warns when the device delivers far from what it announced (e.g. an HX711 with its RATE
        pin low: 10 SPS). A pause longer than ``RATE_GAP_S`` (a missing HX711, a reset) starts
        a new count, so it is never mistaken for a slow sensor.
        """
        if not restart and self._continues_window(t):
            return
        gaps = np.flatnonzero(np.diff(t) > self.RATE_GAP_S)
        if gaps.size:
            restart, t = True, t[gaps[-1] + 1 :]
        last, self._rate_last = self._rate_last, float(t[-1])
        start = self._rate_start
        if start is None or restart or not 0 <= float(t[0]) - last <= self.RATE_GAP_S:
            start = (float(t[0]), -1)  # intervals, not readings: the first one opens the window
        t0, intervals = start
        i = 0
        while True:  # close every window this batch completes
            j = int(np.searchsorted(t, t0 + self.RATE_WINDOW_S, side="left"))
            if j >= len(t):
                self._rate_start = (t0, intervals + len(t) - i)
                return
            intervals += j - i + 1
            self._judge_rate(intervals / (float(t[j]) - t0))
            t0, intervals, i = float(t[j]), 0, j + 1

    def _continues_window(self, t: np.ndarray) -> bool:
        """The usual batch (a few readings, 4 ms of a 1 kHz stream): it follows the last one
        closely, has no gap inside and closes no window, so counting it is all there is to do
        — without NumPy, which costs more than the count for so few readings. False: do it
        all."""
        first, end, start = float(t[0]), float(t[-1]), self._rate_start
        if (
            start is None
            or end - first > self.RATE_GAP_S  # (a shorter batch cannot hold a gap)
            or not 0 <= first - self._rate_last <= self.RATE_GAP_S
            or end >= start[0] + self.RATE_WINDOW_S
        ):
            return False
        self._rate_last, self._rate_start = end, (start[0], start[1] + len(t))
        return True

    def _judge_rate(self, measured: float) -> None:
        announced = self._hello.rate_hz if self._hello else None
        if announced is None:
            current = self.status.rate_hz
            if current is None or abs(measured - current) > 0.05 * current:
                self._set_status(rate_hz=round(measured, 1))
        elif abs(measured - announced) <= 0.2 * announced:
            self._rate_off = 0
        else:
            self._rate_off += 1  # two windows in a row, so one odd stretch is not an alarm
            if self._rate_off == 2 and not self._rate_warned:
                self._rate_warned = True
                text = f"sensor announced {announced:g} Hz but delivers {measured:.1f} Hz"
                log.warning(text)
                self._set_status(message=text)

    def _on_hello(self, hello: Hello) -> None:
        previous, self._hello = self._hello, hello
        self._rate_start, self._rate_warned, self._rate_off = None, False, 0
        sid = self._sensor_key(hello.sensor)[0]
        if previous is None or previous.unit != hello.unit or self.calibration.sensor_id != sid:
            self._identify(hello.sensor, hello.unit)
        rate = f"{hello.rate_hz:g} Hz" if hello.rate_hz else "unknown rate"
        self._set_status(
            sensor=hello.sensor,
            sensor_id=sid,
            rate_hz=hello.rate_hz,
            unit=hello.unit,
            message=f"sensor {hello.sensor} (protocol {hello.version}), {rate}, unit {hello.unit}",
        )

    def _on_label(self, label: str) -> None:
        """No hello yet (lost at boot or flushed on open): the reading's label tells raw counts
        from newtons, so ``raw:84213`` is never shown as 84213 N."""
        unit = LABEL_UNITS.get(label)
        if unit is None or unit == self._label_unit:
            return
        self._label_unit = unit
        self._identify(self._hello.sensor if self._hello else None, unit)
        self._set_status(unit=unit, message=f"no hello from the sensor yet; readings are {label}")

    def _unit(self) -> str | None:
        """The unit the hello announced, else what the readings' label implies."""
        return self._hello.unit if self._hello else self._label_unit

    def _sensor_key(self, name: str | None) -> tuple[str, CalibrationMatch]:
        """The best identity available: the USB serial number, else hello name + VID:PID +
        port (see :func:`generic_sensor_id`)."""
        if self._serial_number:
            return self._serial_number, "serial"
        return generic_sensor_id(name, self._vid_pid, self.port), "generic"

    def _identify(self, name: str | None, unit: str | None) -> None:
        """This sensor's stored calibration, else one from its unit (none said: newtons)."""
        sensor_id, match = self._sensor_key(name)
        if unit == "raw" and name == PTY_SIM_SENSOR:  # the virtual HX711's factory values
            default = Calibration(SIM_OFFSET_RAW, SIM_SCALE_N_PER_RAW, sensor_id=sensor_id)
        else:
            default = default_for_unit(unit or "N", sensor_id)
        legacy = (name,) if name and match == "generic" else ()  # pre-0.2 keys: the bare name
        found = self._use_calibration(sensor_id, default, match, legacy)
        if found == "generic":
            log.warning(
                "calibration for %s matched by name and port only (no USB serial number): "
                "after swapping the load cell, calibrate again",
                sensor_id,
            )
        self._set_status(sensor_id=sensor_id, calibration_match=found)


def _faster_than(interval_s: float, t_us: list[int], last_t_us: int | None) -> bool:
    """Whether the device sends lines closer together than ``interval_s`` (by its own clock,
    over this batch, or since the last reading when the batch holds one): only then is there
    anything to gather by waiting. An 80 Hz sensor's lines, 12.5 ms apart, are each read the
    moment they arrive, with no pause (and no wake-up) in between."""
    if len(t_us) > 1:
        return t_us[-1] - t_us[0] < (len(t_us) - 1) * interval_s * 1e6
    return last_t_us is None or t_us[0] - last_t_us < interval_s * 1e6


MAX_BLOCK = 1 << 16
"""Bytes per block read at most: a flood of input still returns to the loop (stop, status)."""


def _read_block(ser: Any) -> bytes:
    """Everything the port holds now, waiting up to its timeout for a first byte. ``read(1)``
    wakes on the first byte of a line and the rest of it is usually there by then: it is taken
    in the same block instead of costing the reader another round. (``socket://`` reports only
    *whether* bytes wait, so there this takes them a byte at a time — still all of them.)"""
    data: bytes = ser.read(ser.in_waiting or 1)
    while data and len(data) < MAX_BLOCK and (more := ser.in_waiting):
        data += ser.read(min(more, MAX_BLOCK))
    return data


class PresenceCheck:
    """Some drivers just go quiet on unplug instead of failing the read: once a port has been
    quiet for ``period_s``, look (at most that often) whether its device path is still there.
    Ports that are not paths (``COM3``, URLs) cannot be looked at and are left alone."""

    def __init__(self, device: str, period_s: float) -> None:
        self.device = device
        self.period_s = period_s
        self._watch = _is_path(device)
        self._last_check = time.monotonic()

    def check(self, now: float, quiet_since: float) -> None:
        """Raise ``OSError`` (an unplug, to the reader) when the quiet port's path is gone."""
        if (
            self._watch
            and now - quiet_since >= self.period_s
            and now - self._last_check >= self.period_s
        ):
            self._last_check = now
            if not os.path.exists(self.device):
                raise OSError(f"{self.device} disappeared")


def _is_path(port: str) -> bool:
    """A filesystem device path (``/dev/ttyACM0``); not a URL, ``COM3`` or ``\\\\.\\COM10``."""
    if "://" in port or port.startswith("\\\\.\\"):
        return False
    return "/" in port or os.sep in port


def _add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {k: a.get(k, 0) + b.get(k, 0) for k in a.keys() | b.keys()}
