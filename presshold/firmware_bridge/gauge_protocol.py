"""Replies of a commercial force gauge: a pure parser (bytes in, newtons and errors out).

Like :class:`~presshold.firmware_bridge.protocol.LineParser` it does no I/O and keeps no clock,
so every dialect is tested by feeding bytes. A reply is one line, ended by CR, LF or both (the
makers differ: Andilog sends CR alone, Mark-10 CR LF). Each line answers one request — a
reading, a refused command (``*10``, ``?``), an empty value (``!``), a unit (``lbF``) or garbage —
and ``GaugeParsed.replies`` counts them all, so the poller knows how many requests came back.

Units: a reading's own unit wins; a reply that carries none uses the last unit the gauge named
(in a reading or in answer to a unit query), else the one the user assumed. Every change of unit
is reported, so a gauge switched from N to lbF mid-session keeps reading right and says so.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from presshold.firmware_bridge.force_units import parse_value_unit, to_newtons, unit_scale
from presshold.firmware_bridge.gauge_dialects import Dialect

MAX_REPLY = 64
"""Longest accepted reply in bytes: the longest real one (a value, TAB, a displacement) is ~25."""


@dataclass(slots=True)
class GaugeParsed:
    """What one ``feed`` held."""

    values_n: list[float] = field(default_factory=list)
    """Readings in newtons, compression positive."""
    replies: int = 0
    """Complete lines received, whatever they said: each answered one request."""
    errors: list[str] = field(default_factory=list)
    """Error replies as sent (``*10``, ``?``)."""
    empty: int = 0
    unit_changes: list[str] = field(default_factory=list)
    """Canonical units (``lbf``) the gauge switched to, in order."""


class GaugeParser:
    """Incremental reply parser for one dialect. ``rejected`` counts bad replies by reason."""

    def __init__(
        self,
        dialect: Dialect,
        assumed_unit: str = "N",
        compression_sign: float = 1.0,
        *,
        partial_first: bool = False,
    ) -> None:
        """``partial_first``: the first line may have been cut when the port opened (a gauge
        that streams on its own): it is dropped and counted as ``partial``, never read as a
        value (``…50 N`` of ``12.50 N`` would be a wrong reading, not garbage)."""
        scale = unit_scale(assumed_unit)
        if scale is None:
            raise ValueError(f"not a force unit: {assumed_unit!r}")
        self.dialect = dialect
        self.unit = scale[0]
        """The unit readings without one are in: the last one the gauge named, else assumed."""
        self.unit_seen = False
        """The gauge itself has named a unit (in a reading or a unit reply)."""
        self.sign = compression_sign
        self._error = re.compile(dialect.error_reply)
        self._buf = bytearray()
        self._discarding = False
        self._partial_first = partial_first
        self.rejected: dict[str, int] = {}

    def _reject(self, reason: str) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1

    def feed(self, data: bytes) -> GaugeParsed:
        """Take any bytes (any chunking); return what the complete replies held."""
        out = GaugeParsed()
        buf = self._buf
        buf += data
        end = max(buf.rfind(b"\r"), buf.rfind(b"\n")) + 1
        lines = re.split(rb"[\r\n]", bytes(buf[:end])) if end else []
        del buf[:end]
        for line in lines:
            if self._discarding:  # the end of an over-long reply, already counted
                self._discarding = False
                continue
            if not line.strip():
                continue  # the LF after a CR, or a blank line: not a reply
            if self._partial_first:
                self._partial_first = False
                self._reject("partial")
                continue
            out.replies += 1
            if len(line) > MAX_REPLY:
                self._reject("too_long")
            else:
                self._line(line, out)
        if len(buf) > MAX_REPLY:  # no terminator in sight: drop it, count it once
            if not self._discarding:
                self._reject("too_long")
                out.replies += 1
            self._discarding = True
            buf.clear()
        return out

    def _line(self, line: bytes, out: GaugeParsed) -> None:
        if not line.isascii() or any(b < 0x20 and b != 0x09 for b in line):
            self._reject("garbage")
            return
        text = line.decode("ascii").strip()
        if self._error.fullmatch(text):
            out.errors.append(text)
            return
        if self.dialect.empty_reply is not None and text == self.dialect.empty_reply:
            out.empty += 1
            return
        unit = unit_scale(text)
        if unit is not None:  # the answer to a unit query
            self._set_unit(unit[0], out)
            return
        if self.dialect.field_sep is not None:
            text = text.split(self.dialect.field_sep, 1)[0]
        got = parse_value_unit(text)
        if got is None:
            self._reject("garbage")
            return
        value, named = got
        if not math.isfinite(value):
            self._reject("non_finite")
            return
        if named is not None:
            self._set_unit(named, out)
        out.values_n.append(self.sign * to_newtons(value, self.unit))

    def _set_unit(self, unit: str, out: GaugeParsed) -> None:
        if unit != self.unit or not self.unit_seen:
            if unit != self.unit:
                out.unit_changes.append(unit)
            self.unit = unit
        self.unit_seen = True
