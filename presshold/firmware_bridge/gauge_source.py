"""A commercial force gauge on a serial port: polled as fast as it answers, or read as a stream.

:class:`GaugeSource` is a :class:`SerialSource` (same port search, unplug/replug by path or USB
serial number, presence check) whose hot path speaks a gauge :class:`Dialect` instead of protocol
v1: the pure :class:`GaugeParser` turns replies into newtons (compression positive), the pure
:class:`Poller` decides what to write, and readings are stamped with host time on arrival.

``raw`` is the gauge's reading converted to newtons, so the calibration is the identity and a
unit switched on the gauge mid-session changes nothing downstream. Tare uses the gauge's own zero
command where the dialect has one (the reading then *is* zero, on the gauge's display too), and
falls back to PressHold's software tare when it has none or the gauge ignored it.
"""

from __future__ import annotations

import logging
import queue
import time
from typing import Any

import numpy as np

from presshold.errors import CalibrationError
from presshold.firmware_bridge.calibration import Calibration, CalibrationStore, robust_mean
from presshold.firmware_bridge.gauge_dialects import GaugeSpec
from presshold.firmware_bridge.gauge_poll import Poller, RateMeter, spread_stamps
from presshold.firmware_bridge.gauge_protocol import GaugeParsed, GaugeParser
from presshold.firmware_bridge.serial_source import PresenceCheck, SerialSource, _add

log = logging.getLogger("presshold.bridge")


class GaugeSource(SerialSource):
    """A Mark-10, Dillon, Andilog or other ``value unit`` gauge; see the module docstring."""

    SILENCE_S = 2.0
    """No reply for this long on an open port: say so (baud rate? serial output off?)."""
    ZERO_CONFIRM_S = 2.0
    FRESH_AFTER_ZERO = 5
    """Readings requested after the zero command whose mean becomes the new zero."""

    def __init__(self, spec: GaugeSpec, source: str, store: CalibrationStore | None = None):
        super().__init__(spec.port, store, baud=spec.baud)
        self.spec = spec
        self.dialect = spec.dialect
        self._gauge_unit = spec.unit  # what the gauge reads in: kept across reconnects
        self._commands: queue.SimpleQueue[bytes] = queue.SimpleQueue()  # from tare()
        self._last_t = float("-inf")
        self._period_s = 0.02
        self._last_error: str | None = None
        self._poller = Poller(
            () if spec.stream else self.dialect.requests,
            self.dialect.pipeline,
            reply_timeout_s=max(0.3, 400 / spec.baud),  # ~40 characters' time at low baud
            unit_query=self.dialect.unit_query,
            unit_every_s=1.0,
        )
        self._meter = RateMeter()
        sid = self._sid(spec.port)
        with self._status_lock:
            self._status.source, self._status.sensor_id = source, sid
            self._status.sensor = f"{self.dialect.title} gauge"
            self._status.unit = "N"
        self._use_calibration(sid, Calibration(sensor_id=sid))

    def _sid(self, identity: str) -> str:
        """Calibrations of a gauge never mix with an Arduino's on the same port (raw != N)."""
        return f"{self.dialect.name}:{identity}"

    def request_hello(self) -> None:
        return None  # a gauge has no hello; its first reply says what it is

    def _identify(self, sensor_id: str, unit: str | None) -> None:
        sid = self._sid(sensor_id)
        self._use_calibration(sid, Calibration(sensor_id=sid))
        self._set_status(sensor_id=sid)

    # -- tare ----------------------------------------------------------------------------------
    def tare(self, window_s: float = 0.5) -> Calibration:
        """The gauge's own zero when it has one and obeys it; else PressHold's (software) tare."""
        zero = self.dialect.zero
        if zero is None or not self.status.connected:
            return super().tare(window_s)
        before = robust_mean(self._recent(window_s))  # readings exist and are steady
        with self._cal_lock:
            mark = self._ring_end
        self._commands.put(zero)
        need = self.FRESH_AFTER_ZERO + self.dialect.pipeline  # replies already on their way
        deadline = time.monotonic() + self.ZERO_CONFIRM_S
        while True:
            with self._cal_lock:
                if self._ring_end - mark >= need:
                    idx = np.arange(self._ring_end - self.FRESH_AFTER_ZERO, self._ring_end)
                    after = robust_mean(self._ring_raw[idx % self.RING])
                    break
            if time.monotonic() > deadline:
                raise CalibrationError("the gauge stopped answering after the zero command")
            time.sleep(0.01)
        # whatever the gauge did, what it reads now becomes 0 N: ~0 if it obeyed (its display
        # agrees), the old level if it ignored the command (a software tare)
        obeyed = abs(after) <= max(0.5 * abs(before), 1e-9)
        text = (
            f"{self.dialect.title} zeroed by its own zero command"
            if obeyed
            else f"{self.dialect.title} ignored its zero command: tared in PressHold"
        )
        log.info("%s", text)
        self._set_status(message=text)
        return self._set_zero(after)

    # -- the hot path --------------------------------------------------------------------------
    def _pump(self, ser: Any, device: str) -> None:
        if self._serial_number and self.calibration.sensor_id != self._sid(self._serial_number):
            self._identify(self._serial_number, None)
        parser = GaugeParser(
            self.dialect,
            self._gauge_unit,
            self.spec.compression_sign,
            partial_first=self.spec.stream,
        )
        poller, meter = self._poller, self._meter
        poller.reset()
        meter.restart()
        if self.dialect.start is not None:
            poller.send_once(self.dialect.start)
        presence = PresenceCheck(device, self.PRESENCE_CHECK_S)
        last_reply = last_status = time.monotonic()
        warned_silent = False
        reported: dict[str, int] = {}
        errors = 0
        try:
            while not self._stopping.is_set():
                while not self._commands.empty():
                    poller.send_once(self._commands.get_nowait())
                out = poller.due(time.monotonic())
                if out:
                    ser.write(b"".join(out))
                data = ser.read(ser.in_waiting or 1)
                now = time.monotonic()
                if data:
                    got = parser.feed(data)
                    if got.replies:
                        if warned_silent:  # the "does not answer" message must not linger
                            self._set_status(message=f"the {self.dialect.title} answers again")
                        last_reply, warned_silent = now, False
                    errors += len(got.errors)
                    note = poller.answered(got.replies, len(got.values_n), len(got.errors))
                    self._handle_gauge(got, now, note)
                elif now - last_reply >= self.SILENCE_S and not warned_silent:
                    warned_silent = True
                    meter.restart()
                    self._set_status(message=self._silence_message(device))
                if not data:
                    presence.check(now, quiet_since=last_reply)
                counts = self._counts(parser, poller.timeouts, errors)
                if counts != reported and now - last_status >= self.STATUS_PERIOD_S:
                    reported, last_status = counts, now
                    self._set_status(rejected=_add(self._rejected_before, counts))
        finally:
            counts = self._counts(parser, poller.timeouts, errors)
            self._rejected_before = _add(self._rejected_before, counts)
            poller.timeouts = 0
            if counts != reported:
                self._set_status(rejected=dict(self._rejected_before))

    @staticmethod
    def _counts(parser: GaugeParser, timeouts: int, errors: int) -> dict[str, int]:
        counts = dict(parser.rejected)
        if timeouts:
            counts["no_reply"] = timeouts
        if errors:
            counts["error_reply"] = errors
        return counts

    def _handle_gauge(self, got: GaugeParsed, now: float, note: str | None) -> None:
        title = self.dialect.title
        events = [f"{title} reads in {unit}; converted to newtons" for unit in got.unit_changes]
        if got.unit_changes:
            self._gauge_unit = got.unit_changes[-1]
        if got.errors and got.errors[-1] != self._last_error:  # once, not on every poll
            self._last_error = got.errors[-1]
            events.append(f"{title} answered {got.errors[-1]!r} (refused a command)")
        if note:
            events.append(note)
        if events:
            for text in events:
                log.info("%s", text)
            self._messages.extend(events)
            self._set_status(message=events[-1], device_messages=list(self._messages))
        n = len(got.values_n)
        if not n:
            return
        t_s = spread_stamps(self._last_t, now, n, self._period_s)
        self._last_t = float(t_s[-1])
        batch = self._make_batch(t_s, np.asarray(got.values_n, dtype=np.float64))
        sink = self._sink
        if sink is not None:
            sink.on_readings(batch)
        rate = self._meter.add(n, now)
        if rate is not None and rate > 0:
            self._period_s = 1.0 / rate
            current = self.status.rate_hz
            if current is None or abs(rate - current) > 0.05 * current:
                self._set_status(rate_hz=round(rate, 1), message=self._rate_message(rate))

    def _rate_message(self, rate: float) -> str:
        how = "streaming"
        request = self._poller.request
        if request is not None:
            shown = request.decode("ascii", "replace").rstrip("\r\n")
            how = f"polling {shown!r}, {self._poller.pipeline} in flight"
        return f"{self.dialect.title}: {rate:.1f} readings/s ({how}), gauge unit {self._gauge_unit}"

    def _silence_message(self, device: str) -> str:
        if self._poller.request is None:
            return (
                f"no data from the {self.dialect.title} on {device}: is its continuous output "
                f"on, at {self.baud} baud?"
            )
        shown = self._poller.request.decode("ascii", "replace").rstrip("\r\n")
        return (
            f"the {self.dialect.title} on {device} does not answer {shown!r}: check its baud "
            f"rate ({self.baud}) and that its serial/USB output is on"
        )
