"""Simulated commercial force gauges, one per dialect: the device model, clock passed in.

:class:`SimulatedGauge` is the device: it takes command bytes and, with time passed in, says
which reply bytes are due when. It behaves as the user guides describe (see
:mod:`gauge_dialects`) with the habits of real firmware: one command at a time, each answered
after a processing delay plus the wire time of the reply at the gauge's baud rate (a pty has no
baud rate, so the model adds it); refused commands answered ``*10`` (Mark-10) or ``?``
(Andilog); the display unit switched on the gauge mid-stream; a Dillon AFG in continuous mode
streaming ~12 readings/s; and, on request, replies corrupted on the wire.

:mod:`gauge_pty` runs a model on a pseudo-terminal (``presshold simulate --pty --gauge NAME``).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from presshold.firmware_bridge.force_units import unit_scale


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How one simulated gauge family answers."""

    answer_s: float
    """Processing time per command, before the reply starts on the wire."""
    baud: int
    units: tuple[str, ...]
    """The units its display cycles through, as it spells them."""
    line_commands: bool
    """Commands end with CR (Mark-10, Imada-style); else every byte is a command (a key)."""
    stream_hz: float = 0.0


BEHAVIOUR = {
    "mark10": Behaviour(0.008, 115200, ("N", "lbF", "kgF", "ozF", "gF", "kN"), True),
    "dillon": Behaviour(0.015, 9600, ("N", "lbf", "kgf", "ozf", "gf"), False, stream_hz=12.0),
    "dillon-gs": Behaviour(0.012, 9600, ("N", "lbf", "kgf", "ozf"), False),
    "andilog": Behaviour(0.010, 9600, ("N", "daN", "kg", "lb", "g"), False),
    "gauge": Behaviour(0.010, 9600, ("N", "kgf", "lbf"), True),
}
DECIMALS = {"n": 2, "kn": 4, "mn": 0, "dan": 3, "gf": 0, "g": 0, "kgf": 3, "kg": 3}
"""Display resolution per unit (lbf and others: 3 decimals, ozf: 1)."""
MARK10_UNITS = {"N": "N", "LB": "lbF", "KG": "kgF", "G": "gF", "OZ": "ozF", "KN": "kN"}


class SimulatedGauge:
    """A gauge of dialect ``name`` pressed with ``force(t)`` newtons (compression positive)."""

    def __init__(
        self,
        name: str,
        force: Callable[[float], float],
        *,
        stream: bool = False,
        series4: bool = False,
        compression_sign: float = 1.0,
        corrupt_every: int = 0,
        usb_latency_s: float = 0.0,
    ) -> None:
        self.name = name
        self.b = BEHAVIOUR[name]
        self.force = force
        self.stream = stream and self.b.stream_hz > 0
        self.series4 = series4
        """A Mark-10 Series 4: knows ``?`` but answers ``?C`` with ``*10``."""
        self.sign = compression_sign
        self.corrupt_every = corrupt_every
        """Every n-th reply gets a 0xFF byte in the middle (a noisy cable); 0 = never."""
        self.usb_latency_s = usb_latency_s
        """A USB-serial adapter's latency timer (FTDI: 16 ms by default): bytes reach the host
        only at its ticks, so a request/reply round trip costs up to that much more."""
        self.unit = self.b.units[0]
        self.serial_output = True
        """False: the user switched the gauge's serial output off in its menu (it ignores the
        host, streams nothing)."""
        self.offset_n = 0.0
        self.commands = 0
        self._replies = 0
        self._inbox = bytearray()
        self._busy_until = 0.0
        self._due: deque[tuple[float, bytes]] = deque()
        self._next_stream: float | None = None
        self._empty_pending = name == "andilog"  # no value yet right after power-up

    # -- what the test or the user does to the gauge ---------------------------------------
    def set_unit(self, unit: str) -> None:
        """Switch the display unit (as a user pressing UNITS would)."""
        if unit not in self.b.units:
            raise ValueError(f"{self.name} cannot show {unit!r}; it shows {self.b.units}")
        self.unit = unit

    def next_unit(self) -> None:
        units = self.b.units
        self.unit = units[(units.index(self.unit) + 1) % len(units)]

    # -- the wire --------------------------------------------------------------------------
    def receive(self, data: bytes, now: float) -> None:
        """Command bytes from the host, at ``now``."""
        if not self.serial_output:
            return
        self._inbox += data
        if not self.b.line_commands:
            commands = [bytes([c]) for c in self._inbox]
            self._inbox.clear()
        else:
            end = max(self._inbox.rfind(b"\r"), self._inbox.rfind(b"\n")) + 1
            commands = bytes(self._inbox[:end]).replace(b"\n", b"\r").split(b"\r")
            commands = [c for c in commands if c.strip()]
            del self._inbox[:end]
        for command in commands:
            self.commands += 1
            start = max(now, self._busy_until)
            at = start + self.b.answer_s
            reply = self._answer(command.strip(), at)
            wire = self._wire(reply) if reply else b""
            done = at + len(wire) * 10 / self.b.baud  # 8N1: ten bits per character
            self._busy_until = done
            if wire:
                self._due.append((self._delivered(done), wire))

    def output(self, now: float) -> bytes:
        """Reply and stream bytes due by ``now``."""
        out = bytearray()
        while self._due and self._due[0][0] <= now:
            out += self._due.popleft()[1]
        if self.stream and self.serial_output:
            if self._next_stream is None:
                self._next_stream = now
            while self._next_stream <= now:
                out += self._wire(self._reading(self._next_stream))
                self._next_stream += 1.0 / self.b.stream_hz
        return bytes(out)

    def _delivered(self, t: float) -> float:
        """When bytes ready at ``t`` reach the host (the adapter's next latency tick)."""
        tick = self.usb_latency_s
        return math.ceil(t / tick) * tick if tick > 0 else t

    def next_event(self, now: float) -> float:
        """When ``output`` next has something (at most 50 ms ahead, to keep checking)."""
        t = now + 0.05
        if self._due:
            t = min(t, self._due[0][0])
        if self.stream and self._next_stream is not None:
            t = min(t, self._next_stream)
        return t

    # -- the gauge's firmware --------------------------------------------------------------
    def _answer(self, command: bytes, at: float) -> bytes:
        """The reply line to one command (without its terminator), or b'' for none."""
        name = self.name
        if name == "mark10":
            text = command.decode("ascii", "replace").upper()
            if text == "?" or (text == "?C" and not self.series4):
                return self._reading(at)
            if text == "Z":
                self.offset_n = self._true(at)
                return b""
            if text in MARK10_UNITS and not self.series4:
                self.unit = MARK10_UNITS[text]
                return b""
            return b"*10"
        if name in ("dillon", "dillon-gs"):
            afg = name == "dillon"
            request, zero, units = (b"?", b"\x05", b"\x02") if afg else (b"l", b"z", b"u")
            if command == request:
                return self._reading(at)
            if command == zero:
                self.offset_n = self._true(at)
            elif command == units:
                self.next_unit()
            return b""  # other keys: nothing to say
        if name == "andilog":
            if command == b"F":
                if self._empty_pending:
                    self._empty_pending = False
                    return b"!"
                return self._reading(at)
            if command == b"U":
                return self.unit.encode()
            if command == b"Z":
                self.offset_n = self._true(at)
                return b""
            return b"?"
        if command.upper() == b"D":  # Imada/Shimpo style: sign, digits and unit run together
            return self._reading(at)
        if command.upper() == b"Z":
            self.offset_n = self._true(at)
        return b""

    def _true(self, t: float) -> float:
        return float(self.force(t))

    def _reading(self, t: float) -> bytes:
        """The displayed value at ``t`` in the display unit, formatted as this gauge does."""
        scale = unit_scale(self.unit)
        assert scale is not None
        value = self.sign * (self._true(t) - self.offset_n) / scale[1]
        decimals = DECIMALS.get(self.unit.lower(), 1 if self.unit.lower() == "ozf" else 3)
        number = f"{value:.{decimals}f}"
        if self.name == "andilog":
            return f"{number}\t0.00".encode()  # force TAB displacement, no unit
        if self.name == "gauge":
            return f"{value:+0{decimals + 5}.{decimals}f}{self.unit}".encode()
        return f"{number} {self.unit}".encode()

    def _wire(self, line: bytes) -> bytes:
        self._replies += 1
        if self.corrupt_every and self._replies % self.corrupt_every == 0:
            line = line[: len(line) // 2] + b"\xff" + line[len(line) // 2 :]
        return line + (b"\r" if self.name == "andilog" else b"\r\n")
