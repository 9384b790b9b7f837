"""Force units as devices write them (``N``, ``lbF``, ``kgf``, ``daN`` …) and ``value unit`` text.

Commercial gauges and plotter sketches spell units every which way: Mark-10 writes ``lbF`` and
``kgF``, Dillon ``lbf``, Andilog ``daN`` and ``kg``, Imada glues the unit to the number
(``+012.34N``). Everything is matched case-insensitively and converted to newtons with the
constants of :mod:`presshold.signal.units`, so the bridge and the signal layer never disagree on
what a pound-force is. Masses (``kg``, ``g``, ``lb``, ``oz``) on a force gauge mean their weight
under standard gravity, which is what the gauge displays.
"""

from __future__ import annotations

import re

from presshold.signal.units import KGF_N, LBF_N

DEVICE_UNITS: dict[str, tuple[str, float]] = {
    "n": ("N", 1.0),
    "mn": ("mN", 1e-3),
    "kn": ("kN", 1e3),
    "dan": ("daN", 10.0),
    "gf": ("gf", KGF_N / 1000.0),
    "g": ("gf", KGF_N / 1000.0),
    "kgf": ("kgf", KGF_N),
    "kg": ("kgf", KGF_N),
    "lbf": ("lbf", LBF_N),
    "lb": ("lbf", LBF_N),
    "lbs": ("lbf", LBF_N),
    "ozf": ("ozf", LBF_N / 16.0),
    "oz": ("ozf", LBF_N / 16.0),
    "klbf": ("klbf", LBF_N * 1000.0),
}
"""Lower-cased spelling -> (canonical name, newtons per unit)."""

_VALUE_UNIT = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([A-Za-z]*)")


def unit_scale(text: str) -> tuple[str, float] | None:
    """``"lbF"`` -> ``("lbf", 4.448…)``; None for anything that is not a force unit."""
    return DEVICE_UNITS.get(text.strip().lower())


def number_with_unit(token: str) -> tuple[float, str | None] | None:
    """One field: ``"12.3"`` -> (12.3, None); ``"12.3N"`` -> (12.3, "N"); else None.

    A suffix that is not a force unit (``12abc``) makes the field no number at all, as before
    units were read. ``nan``/``inf`` parse (the caller rejects them as non-finite).
    """
    try:
        return float(token), None
    except ValueError:
        pass
    m = _VALUE_UNIT.fullmatch(token)
    if m is None:
        return None
    unit = unit_scale(m.group(2))
    return (float(m.group(1)), unit[0]) if unit else None


def parse_value_unit(text: str) -> tuple[float, str | None] | None:
    """A whole reply: ``" -18.78 lbF"``, ``"+012.34N"``, ``"4.285"`` -> (value, canonical unit).

    None when the text is anything else (two numbers, an unknown word, an error code): the
    caller counts it as garbage rather than guessing.
    """
    fields = text.split()
    if not fields or len(fields) > 2:
        return None
    got = number_with_unit(fields[0])
    if got is None:
        return None
    value, unit = got
    if len(fields) == 2:
        scale = unit_scale(fields[1])
        if unit is not None or scale is None:
            return None
        unit = scale[0]
    return value, unit


def to_newtons(value: float, unit: str) -> float:
    """``value`` in a unit known to :data:`DEVICE_UNITS` (any spelling) -> newtons."""
    scale = unit_scale(unit)
    if scale is None:
        raise ValueError(f"not a force unit: {unit!r}")
    return value * scale[1]
