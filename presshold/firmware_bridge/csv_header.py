"""The header-row CSV dialect of public load-cell sketches: ``Times,Measures`` then ``12345,2.57``.

Such sketches print a ``millis()`` (or ``micros()``) column before the value, so "the first
number is the force" would read the clock as the force. A header row names the columns instead:

- the **clock** is the first column named like one (``time``, ``times``, ``t``, ``ms``,
  ``millis``, ``micros``, ``us``, ``timestamp``, ``elapsed``, ``seconds`` …). Its unit comes from
  the name (``us``/``micros`` → µs, ``ms``/``millis`` → ms, ``s``/``sec``/``seconds`` → s, also
  inside ``Time (ms)`` or ``time_us``); a bare ``time`` is inferred from the first
  ``INFER_ROWS`` steps: the unit that puts the rate nearest 80 Hz within 0.5–5,000 Hz.
- the **force** is the column whose name says force/load/weight/mass/raw, else the first other
  column.

Pure, like :class:`~presshold.firmware_bridge.protocol.LineParser`, which owns one of these once
it has seen a header and feeds it the rows; it makes the times strictly increasing.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

CLOCK_WORDS = frozenset(
    {"time", "times", "t", "timestamp", "elapsed", "clock", "ms", "millis", "micros", "us",
     "µs", "s", "sec", "secs", "seconds"}
)  # fmt: skip
US_PER = {"us": 1.0, "µs": 1.0, "micros": 1.0, "ms": 1e3, "millis": 1e3, "s": 1e6, "sec": 1e6}
US_PER |= {"secs": 1e6, "seconds": 1e6}
FORCE_WORDS = frozenset({"force", "load", "weight", "mass", "raw", "reading", "measure"})
FORCE_WORDS |= {"measures", "value", "newton", "newtons", "grams", "kg", "lbs"}
CLOCK_WRAP = float(1 << 32)
"""``millis()`` and ``micros()`` wrap at 2**32 of their units."""
WRAP_MAX_GAP_US = 30e6
"""A step back is a wrap only if the way forward across it is shorter than this (else a reset)."""
INFER_ROWS = 4
"""Rows buffered to infer the clock's unit when its name does not say it."""
TYPICAL_RATE_HZ = 80.0
RATE_RANGE_HZ = (0.5, 5000.0)
_NAME = re.compile(r"^[A-Za-zµ_][\w µ()\[\]/.%*-]*$")
_WORDS = re.compile(r"[a-zµ]+")


@dataclass(frozen=True, slots=True)
class Columns:
    names: tuple[str, ...]
    sep: str | None
    """``,``, ``\\t`` or ``;``; ``None`` = runs of spaces."""
    clock: int | None
    clock_us: float | None
    """µs per clock unit; ``None`` until inferred from the first rows."""
    force: int
    raw: bool
    """The force column's name says raw counts."""


def _split(text: str, sep: str | None) -> list[str]:
    return [f.strip() for f in (text.split(sep) if sep else text.split())]


def _separator(text: str) -> str | None:
    return next((s for s in (",", "\t", ";") if s in text), None)


def _number(field: str) -> float | None:
    try:
        return float(field)
    except ValueError:
        return None


def parse_header(text: str) -> Columns | None:
    """The columns a header row names, or None when ``text`` is not a header PressHold can use
    (fewer than two names, a number among them, or neither a clock nor a force column)."""
    sep = _separator(text)
    names = _split(text, sep)
    if len(names) < 2 or not all(_NAME.match(n) and _number(n) is None for n in names):
        return None
    words = [_WORDS.findall(n.lower()) for n in names]
    clock = next((i for i, w in enumerate(words) if w and w[0] in CLOCK_WORDS), None)
    named = [i for i, w in enumerate(words) if i != clock and FORCE_WORDS & set(w)]
    if clock is None and not named:
        return None
    others = [i for i in range(len(names)) if i != clock]
    force = named[0] if named else others[0]
    unit = None
    if clock is not None:
        unit = next((US_PER[w] for w in words[clock] if w in US_PER), None)
    return Columns(tuple(names), sep, clock, unit, force, "raw" in words[force])


def infer_us_per_unit(times: list[float]) -> float | None:
    """µs per clock unit for these first clock values: s, ms or µs, whichever gives a rate in
    ``RATE_RANGE_HZ`` nearest ``TYPICAL_RATE_HZ``; None when the steps say nothing (no rise)."""
    steps = sorted(b - a for a, b in itertools.pairwise(times) if b > a)
    if not steps:
        return None
    step = steps[len(steps) // 2]
    lo, hi = RATE_RANGE_HZ
    fits = [(abs(math.log(1e6 / (step * us) / TYPICAL_RATE_HZ)), us) for us in (1e6, 1e3, 1.0)]
    fits = [f for f in fits if lo <= 1e6 / (step * f[1]) <= hi]
    return min(fits)[1] if fits else None


class HeaderedCsv:
    """Rows after a header → ``(device µs or None, value)``; buffers the first rows while the
    clock's unit is being inferred."""

    def __init__(self, columns: Columns) -> None:
        self.columns = columns
        self._us_per = columns.clock_us
        self._pending: list[tuple[float, float]] = []
        self._last_clock: float | None = None
        self._epoch = 0.0

    def row(self, text: str) -> list[tuple[float | None, float]] | None:
        """The readings this row releases (several once the unit is known); None = garbage."""
        c = self.columns
        fields = _split(text, c.sep)
        if len(fields) != len(c.names):
            return None
        value = _number(fields[c.force])
        if value is None:
            return None
        if c.clock is None:
            return [(None, value)]
        clock = _number(fields[c.clock])
        if clock is None or not math.isfinite(clock):
            return None
        if self._us_per is not None:
            return [(self._unwrap(clock), value)]
        self._pending.append((clock, value))
        if len(self._pending) < INFER_ROWS:
            return []
        us = infer_us_per_unit([t for t, _ in self._pending])
        if us is None:
            if len(self._pending) < 4 * INFER_ROWS:
                return []
            us = 1e3  # a clock that never rises: millis() is the common case
        self._us_per = us
        out = [(self._unwrap(t), v) for t, v in self._pending]
        self._pending = []
        return out

    def _unwrap(self, clock: float) -> float:
        """Device µs with ``millis()``/``micros()`` wraps undone (a reset is left to the caller,
        which sees the time step back)."""
        assert self._us_per is not None
        last, self._last_clock = self._last_clock, clock
        wrapped = (
            last is not None
            and clock < last
            and (clock + CLOCK_WRAP - last) * self._us_per <= WRAP_MAX_GAP_US
        )
        if wrapped:
            self._epoch += CLOCK_WRAP
        return (clock + self._epoch) * self._us_per
