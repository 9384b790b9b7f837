"""PressHold serial line protocol v1: a pure framing/parser object (bytes in, readings out).

Device -> host, ASCII lines ending in ``\\n`` (``\\r\\n`` tolerated)::

    # presshold 1 sensor=<name> rate=<Hz> unit=<raw|N|kgf|g|lbf>   hello
    # <free text>                                                  e.g. "# hx711 not responding"
    t_us:<micros>,<label>:<value>                                  a reading (label: raw, force_n)
    t_us:<micros>,<label>:<value>,button:<0|1>               the same with the patient button
    <Serial-Plotter line>                     compatibility (until a v1 line is seen): on arrival
    12.3 N / 4.1lbf / force:2.5 kgf          a plotter value with a unit: converted to newtons

No I/O, no threads, no clock: the reader feeds whatever bytes arrived and gets readings back. Every
malformed line is counted by reason in ``rejected`` and never raised: ``partial`` (first line after
opening the port, cut off), ``garbage`` (non-ASCII, unparseable), ``too_long`` (over ``MAX_LINE``),
``non_finite`` (nan/inf), ``out_of_range`` (finite but beyond any sensor: ``MAX_ABS_VALUE``),
``duplicate_time``.

Device time: ``micros()`` wraps at 2**32 us (~71.6 min). A step back is a wrap only when the forward
distance across the wrap is short (``WRAP_MAX_GAP_US``); otherwise the device restarted. A restart
after a hello is a normal reboot; one without a hello is counted as ``reset`` (the reading is kept).
Either way the unwrapped time continues 1 us after the last reading, so it never runs backwards,
and ``Parsed.reanchor`` tells the host to re-anchor device time to its own clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from presshold.console_text import console_safe
from presshold.firmware_bridge.csv_header import HeaderedCsv, parse_header
from presshold.firmware_bridge.force_units import number_with_unit, to_newtons, unit_scale

PROTOCOL_VERSION = 1
MAX_LINE = 128
"""Longest accepted line in bytes, not counting the ``\\r\\n``/``\\n`` terminator."""
WRAP_US = 1 << 32
WRAP_MAX_GAP_US = 30_000_000
"""A wrap must land within 30 s of the last reading; a bigger step back is a reset."""
MAX_ABS_VALUE = float(1 << 31)
"""No reading is this large: a 32-bit ADC's full scale in counts, a 2,000-tonne load in newtons or
grams-force to the nearest 1e9. A device sending more (``1.7e308``, corrupted counts) is broken,
and such values would only overflow the filters downstream."""
UNITS = ("raw", "N", "kgf", "g", "lbf")
LABEL_UNITS = {"raw": "raw", "force_n": "N"}
"""What a reading's label says its values are, used until a hello names the unit."""
PLOTTER_LABELS = ("force", "force_n", "load", "weight", "raw")


@dataclass(frozen=True, slots=True)
class Hello:
    version: int
    sensor: str
    rate_hz: float | None
    unit: str


@dataclass(slots=True)
class Parsed:
    """Result of one ``feed``: device-clock microseconds (unwrapped), values, hellos, comments."""

    t_us: list[int] = field(default_factory=list)
    """Unwrapped device microseconds, strictly increasing across the parser's whole life."""
    values: list[float] = field(default_factory=list)
    label: str | None = None
    """Label of the last reading in this batch (``raw``, ``force_n``): what its values are when
    no hello has told the unit (a hello lost at boot must not turn raw counts into newtons)."""
    hellos: list[Hello] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    """Free-text ``#`` lines from the device, without the ``#``."""
    resets: int = 0
    """Device clock restarts seen without a hello."""
    reanchor: bool = False
    """Device time restarted (reset or reboot): the host must re-anchor its clock mapping."""
    arrival_values: list[float] = field(default_factory=list)
    """Serial-Plotter-style lines without ``t_us``: the reader timestamps them on arrival.
    Values that came with a unit (``12.3 N``, ``4.1 lbf``) are already in newtons."""
    arrival_unit: str | None = None
    """The unit the last plotter line of this batch named (``lbf``), None if it had none."""
    button: list[tuple[int, bool]] = field(default_factory=list)
    """Patient-button changes: (device microseconds of the reading, pressed). Only changes are
    reported (the device sends the state on every line); the first state seen counts as a change
    only when it is "pressed"."""


class LineParser:
    """Incremental protocol-v1 parser. ``rejected`` counts bad input by reason."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._discarding = False
        self._started = False
        self._last_raw: int | None = None
        self._last_t: int | None = None
        self._epoch = 0
        self._rebooted = False
        self._v1 = False  # a hello or a t_us reading seen: no Serial-Plotter lines from now on
        self._csv: HeaderedCsv | None = None  # a header-row CSV sketch (docs/protocol.md)
        self._csv_offset = 0  # µs added to its clock so time continues across device resets
        self._button = False  # the patient button's last state (devices without one never press)
        self.rejected: dict[str, int] = {}

    def _reject(self, reason: str) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1

    def feed(self, data: bytes) -> Parsed:
        """Take any number of bytes (any chunking); return what the complete lines held."""
        out = Parsed()
        buf = self._buf
        buf += data
        end = buf.rfind(b"\n") + 1
        lines = bytes(buf[:end]).split(b"\n")[:-1] if end else []
        del buf[:end]
        for line in lines:
            if self._discarding:  # the rest of an over-long line already counted
                self._discarding = False
                continue
            line = line.removesuffix(b"\r")
            started, self._started = self._started, True
            if len(line) > MAX_LINE:
                self._reject("too_long")
            elif (
                not started
                and not line.startswith((b"#", b"t_us:"))
                and (not line.isascii() or parse_header(line.decode()) is None)
            ):
                self._reject("partial")  # tail of a line sent before we opened the port
            else:
                self._line(line, out)
        if len(buf) > MAX_LINE + 1:  # + a possible '\r': no newline in sight, drop it now
            if not self._discarding:
                self._reject("too_long")
                self._started = True
            self._discarding = True
            buf.clear()
        return out

    def _line(self, line: bytes, out: Parsed) -> None:
        if not line:
            return
        if not line.isascii():
            self._reject("garbage")
            return
        if line.startswith(b"t_us:"):  # the hot path stays in bytes: int()/float() take them
            stamp, sep, fields = line[5:].partition(b",")
            first, _, extra = fields.partition(b",")
            label, colon, number = first.partition(b":")
            if not sep or not colon:
                self._reject("garbage")
                return
            try:
                raw_t = int(stamp)
                value = float(number)
            except ValueError:
                self._reject("garbage")
                return
            self._v1 = True
            if self._reading(raw_t, value, out):
                out.label = label.decode("ascii")
                if extra:
                    self._extra_fields(extra, out)
            return
        text = line.decode("ascii")
        if text.startswith("#"):
            text = console_safe(text)  # shown in logs, the console, the dashboard: no escapes
            hello = parse_hello(text)
            if hello is not None:
                out.hellos.append(hello)
                self._v1 = True
                self._rebooted = True  # the next reading may start a new device clock
            else:
                out.comments.append(text[1:].strip())
        elif self._v1 or "#" in text or (text.startswith("t_") and parse_header(text) is None):
            # a protocol-v1 device never sends Serial-Plotter lines: this is a v1 line that lost
            # its start (a reset or an overrun cut it), e.g. "45,raw:84213" or "t_# presshold 1"
            self._reject("garbage")
        else:
            self._text_line(text, out)

    def _reading(self, raw_t: int, value: float, out: Parsed) -> bool:
        """Append one reading to ``out``; False (and counted) if it was rejected."""
        if not 0 <= raw_t < WRAP_US:
            self._reject("garbage")
            return False
        if not self._plausible(value):
            return False
        t = self._unwrap(raw_t, out)
        if t is None:
            self._reject("duplicate_time")
            return False
        out.t_us.append(t)
        out.values.append(value)
        return True

    def _text_line(self, text: str, out: Parsed) -> None:
        """Before any v1 line: a header row, a row of the CSV it named, or a Serial-Plotter line."""
        if self._csv is None or (got := self._csv.row(text)) is None:
            columns = parse_header(text)
            if columns is not None:  # a header (again, after a reset): learn the columns
                self._rebooted = self._csv is not None
                self._csv = HeaderedCsv(columns)
            elif self._csv is not None:
                self._reject("garbage")
            else:
                self._plotter_line(text, out)
            return
        for t_us, value in got:
            if not self._plausible(value):
                continue
            if t_us is None:
                out.arrival_values.append(value)
            else:
                self._csv_reading(t_us, value, out)

    def _csv_reading(self, t_us: float, value: float, out: Parsed) -> None:
        """A header-CSV reading on the parser's one strictly increasing device time line."""
        t = round(t_us) + self._csv_offset
        last = self._last_t
        rebooted, self._rebooted = self._rebooted, False
        if last is not None and t <= last:
            if t == last and not rebooted:
                self._reject("duplicate_time")
                return
            if not rebooted:  # the clock restarted without a new header row
                out.resets += 1
                self._reject("reset")
            self._csv_offset += last + 1 - t
            t = last + 1
            out.reanchor = True
        self._last_t, self._last_raw = t, t % WRAP_US
        self._epoch = t - self._last_raw
        out.t_us.append(t)
        out.values.append(value)
        out.label = "raw" if self._csv is not None and self._csv.columns.raw else out.label

    def _extra_fields(self, extra: bytes, out: Parsed) -> None:
        """Optional fields after the value: ``button:<0|1>``; any other is reserved and ignored
        (a malformed button value too: the reading itself is good and is kept)."""
        for f in extra.split(b","):
            if f.startswith(b"button:") and f[7:] in (b"0", b"1"):
                pressed = f[7:] == b"1"
                if pressed != self._button:
                    self._button = pressed
                    out.button.append((out.t_us[-1], pressed))

    def _plotter_line(self, text: str, out: Parsed) -> None:
        value, unit = plotter_reading(text) or (None, None)
        if value is None:
            self._reject("garbage")
        elif self._plausible(value):
            if unit is not None:
                value = to_newtons(value, unit)
            out.arrival_unit = unit
            out.arrival_values.append(value)

    def _plausible(self, value: float) -> bool:
        """A finite value within ``MAX_ABS_VALUE``; otherwise counted (``non_finite`` or
        ``out_of_range``) and False."""
        if -MAX_ABS_VALUE <= value <= MAX_ABS_VALUE:
            return True
        self._reject("out_of_range" if math.isfinite(value) else "non_finite")
        return False

    def _unwrap(self, raw_t: int, out: Parsed) -> int | None:
        """Unwrapped, strictly increasing device microseconds; None for a repeated timestamp."""
        last_raw, last_t = self._last_raw, self._last_t
        rebooted, self._rebooted = self._rebooted, False
        if last_raw is None or last_t is None:
            self._epoch = 0
        elif raw_t == last_raw and not rebooted:
            return None
        elif raw_t <= last_raw:
            if not rebooted and raw_t + WRAP_US - last_raw <= WRAP_MAX_GAP_US:
                self._epoch += WRAP_US  # micros() wrapped
            else:  # the device restarted its clock: continue right after the last reading
                if not rebooted:
                    out.resets += 1
                    self._reject("reset")
                self._epoch = last_t + 1 - raw_t
                out.reanchor = True
        self._last_raw = raw_t
        self._last_t = self._epoch + raw_t
        return self._last_t


def plotter_value(text: str) -> float | None:
    """Serial Plotter line: the field labelled force/load/weight/raw, else the first number."""
    got = plotter_reading(text)
    return None if got is None else got[0]


def plotter_reading(text: str) -> tuple[float, str | None] | None:
    """Like :func:`plotter_value`, with the unit written after the number (``12.3 N``,
    ``force:4.1lbf``): glued to it or as the next field. None when the line has no number."""
    fields = text.replace("\t", " ").replace(",", " ").split()
    first: tuple[float, str | None] | None = None
    for i, f in enumerate(fields):
        label, _, num = f.rpartition(":")
        got = number_with_unit(num)
        if got is None:
            continue
        if got[1] is None and i + 1 < len(fields) and (unit := unit_scale(fields[i + 1])):
            got = (got[0], unit[0])
        if label.lower() in PLOTTER_LABELS:
            return got
        if first is None:
            first = got
    return first


def parse_hello(text: str) -> Hello | None:
    """``# presshold 1 sensor=x rate=80 unit=N`` -> Hello; anything else -> None."""
    words = text.lstrip("#").split()
    if len(words) < 2 or words[0] != "presshold" or not words[1].isdigit():
        return None
    kv = dict(w.split("=", 1) for w in words[2:] if "=" in w)
    try:
        rate: float | None = float(kv["rate"]) if "rate" in kv else None
    except ValueError:
        rate = None
    if rate is not None and not (math.isfinite(rate) and rate > 0):
        rate = None
    unit = kv.get("unit", "raw")
    return Hello(int(words[1]), kv.get("sensor", "unknown"), rate, unit if unit in UNITS else "raw")


def format_hello(sensor: str, rate_hz: float, unit: str) -> str:
    """The hello line a PressHold device sends (used by the simulators)."""
    return f"# presshold {PROTOCOL_VERSION} sensor={sensor} rate={rate_hz:g} unit={unit}\n"


def format_reading(t_us: int, value: str, label: str = "raw", button: bool | None = None) -> str:
    """One reading line; ``t_us`` is reduced modulo 2**32 like ``micros()``; ``button`` adds the
    patient button's state (None: a device without one)."""
    tail = "" if button is None else f",button:{int(button)}"
    return f"t_us:{t_us & (WRAP_US - 1)},{label}:{value}{tail}\n"
