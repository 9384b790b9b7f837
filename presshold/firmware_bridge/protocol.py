"""PressHold serial line protocol v1: a pure framing/parser object (bytes in, readings out).

Device -> host, ASCII lines ending in ``\\n`` (``\\r`` tolerated)::

    # presshold 1 sensor=<name> rate=<Hz> unit=<raw|N|kgf|g>   hello; other ``#`` lines: comments
    t_us:<micros>,<label>:<value>                              a reading (label: raw, force_n)

No I/O, no threads: the reader feeds whatever bytes arrived and gets readings back. Every malformed
input is counted by reason (``garbage``, ``too_long``, ``non_finite``, ``partial``), never raised.
``micros()`` wraps at 2**32 us (~71.6 min); wraps are unrolled. Time going backwards by more than a
wrap-plausible amount means a device reset: the parser re-anchors and counts ``reset``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

MAX_LINE = 128
WRAP_US = 1 << 32
UNITS = ("raw", "N", "kgf", "g")


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
    values: list[float] = field(default_factory=list)
    hellos: list[Hello] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    resets: int = 0
    arrival_values: list[float] = field(default_factory=list)
    """Serial-Plotter-style lines without ``t_us``: the reader timestamps them on arrival."""


class LineParser:
    """Incremental protocol-v1 parser. ``rejected`` counts bad input by reason."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._discarding = False
        self._started = False
        self._last_raw: int | None = None
        self._epoch = 0
        self._last_t: int | None = None
        self.rejected: dict[str, int] = {}

    def _reject(self, reason: str) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1

    def feed(self, data: bytes) -> Parsed:
        out = Parsed()
        self._buf += data
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                if len(self._buf) > MAX_LINE:
                    if not self._discarding:
                        self._reject("too_long")
                    self._discarding = True
                    self._buf.clear()
                break
            line = bytes(self._buf[:nl])
            del self._buf[: nl + 1]
            if self._discarding:
                self._discarding = False
                continue
            if not self._started:
                self._started = True
                if not line.startswith((b"#", b"t_us:")):
                    self._reject("partial")  # tail of a line sent before we opened the port
                    continue
            if len(line) > MAX_LINE:
                self._reject("too_long")
                continue
            self._line(line.rstrip(b"\r"), out)
        return out

    def _line(self, line: bytes, out: Parsed) -> None:
        if not line:
            return
        try:
            text = line.decode("ascii")
        except UnicodeDecodeError:
            self._reject("garbage")
            return
        if text.startswith("#"):
            hello = parse_hello(text)
            if hello is not None:
                out.hellos.append(hello)
                self._last_raw = None  # a new hello = device (re)started; re-anchor time
                self._last_t = None
            else:
                out.comments.append(text[1:].strip())
            return
        parts = text.split(",")
        if len(parts) != 2 or not parts[0].startswith("t_us:") or ":" not in parts[1]:
            self._plotter_line(text, out)
            return
        try:
            raw_t = int(parts[0][5:])
            value = float(parts[1].split(":", 1)[1])
        except ValueError:
            self._reject("garbage")
            return
        if not 0 <= raw_t < WRAP_US:
            self._reject("garbage")
            return
        if not math.isfinite(value):
            self._reject("non_finite")
            return
        t = self._unwrap(raw_t, out)
        if self._last_t is not None and t <= self._last_t:
            self._reject("duplicate_time")
            return
        self._last_t = t
        out.t_us.append(t)
        out.values.append(value)

    def _plotter_line(self, text: str, out: Parsed) -> None:
        value = plotter_value(text)
        if value is None:
            self._reject("garbage")
        elif not math.isfinite(value):
            self._reject("non_finite")
        else:
            out.arrival_values.append(value)

    def _unwrap(self, raw_t: int, out: Parsed) -> int:
        last = self._last_raw
        if last is not None and raw_t < last:
            if last - raw_t > WRAP_US // 2:
                self._epoch += WRAP_US  # micros() wrapped
            else:
                out.resets += 1  # clock went back: device reset
                self._reject("reset")
                self._epoch += (last + 1) - raw_t  # continue right after the last reading
        self._last_raw = raw_t
        return self._epoch + raw_t


PLOTTER_LABELS = ("force", "force_n", "load", "weight", "raw")


def plotter_value(text: str) -> float | None:
    """Serial Plotter line: the field labelled force/load/weight/raw, else the first number."""
    fields = text.replace("\t", " ").replace(",", " ").split()
    first: float | None = None
    for f in fields:
        label, _, num = f.rpartition(":")
        try:
            value = float(num)
        except ValueError:
            continue
        if label.lower() in PLOTTER_LABELS:
            return value
        if first is None:
            first = value
    return first


def parse_hello(text: str) -> Hello | None:
    """``# presshold 1 sensor=x rate=80 unit=N`` -> Hello; anything else -> None."""
    words = text.lstrip("#").split()
    if len(words) < 2 or words[0] != "presshold" or not words[1].isdigit():
        return None
    kv = dict(w.split("=", 1) for w in words[2:] if "=" in w)
    try:
        rate = float(kv["rate"]) if "rate" in kv else None
    except ValueError:
        rate = None
    unit = kv.get("unit", "raw")
    return Hello(int(words[1]), kv.get("sensor", "unknown"), rate, unit if unit in UNITS else "raw")
