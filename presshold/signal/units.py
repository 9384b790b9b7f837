"""Force/pressure unit parsing and display conversion (newtons internally).

Every command reads targets, tolerances and times with the functions here (issue 11): one
grammar and one set of limits, whatever the command (``serve``, ``demo``, ``analyze``, …) or
whether the value came from a flag, an environment variable or the settings API. Messages say
what is wrong with the value; :mod:`presshold.cli.options` adds the option's name and an example.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from presshold.errors import ConfigError

KGF_N = 9.80665
LBF_N = 4.4482216152605
FORCE_UNITS = {"N": 1.0, "kgf": KGF_N, "lbf": LBF_N}
PRESSURE_UNITS = ("kPa", "kgf/cm2")
_NUM = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([A-Za-z%/0-9]*)\s*$")
_SIGNED = re.compile(r"^\s*([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*(.*?)\s*$")
MAX_FORCE_N = 10_000.0  # ~1 tonne-force: anything above is a typo, not a therapy target
MAX_HOLD_S = 3600.0


def parse_force(text: str) -> float:
    """Parse "30", "30N", "3kgf", "6.7lbf" to newtons (bare numbers are newtons)."""
    m = _NUM.match(str(text))
    unit = m.group(2) if m else None
    if m is None or (unit and unit not in FORCE_UNITS):
        raise ConfigError(f"cannot read force {text!r}: use e.g. 30, 30N, 3kgf or 6.7lbf")
    return float(m.group(1)) * FORCE_UNITS[unit or "N"]


def parse_tolerance(text: str, target_n: float) -> float:
    """Parse "10%" (of the target) or an absolute force such as "3N", to newtons."""
    return parse_tolerance_spec(text).newtons(target_n)


def to_display(force_n: np.ndarray | float, unit: str, probe_area_cm2: float | None = None):
    """Convert newtons to a display unit; pressure units need the probe contact area."""
    if unit in FORCE_UNITS:
        return np.asarray(force_n) / FORCE_UNITS[unit]
    if unit not in PRESSURE_UNITS:
        raise ConfigError(f"unknown unit {unit!r}")
    if not probe_area_cm2 or probe_area_cm2 <= 0:
        raise ConfigError(f"unit {unit} needs a positive probe area in cm²")
    if unit == "kPa":
        return np.asarray(force_n) / (probe_area_cm2 * 1e-4) / 1000.0
    return np.asarray(force_n) / KGF_N / probe_area_cm2


@dataclass(frozen=True)
class ToleranceSpec:
    """A band half-width as typed: a per cent of the target (follows it) or a force in newtons."""

    value: float
    percent: bool

    def newtons(self, target_n: float) -> float:
        return target_n * self.value / 100.0 if self.percent else self.value

    def __str__(self) -> str:
        return f"{self.value:g}%" if self.percent else f"{self.value:g} N"


def _signed(text: str) -> tuple[float, str]:
    """(number, unit text) of "25", "-5%", "3 kgf", "1e1N"; ConfigError if there is no number."""
    m = _SIGNED.match(str(text))
    if m is None:
        raise ConfigError("it is not a number")
    value = float(m.group(1))
    if not math.isfinite(value):
        raise ConfigError("it is not a finite number")
    return value, m.group(2)


def parse_target(text: str) -> float:
    """A target force in newtons: "30", "30N", "3kgf", "6.7lbf"; more than 0, at most 10 kN."""
    value, unit = _signed(text)
    if unit and unit not in FORCE_UNITS:
        raise ConfigError(f"the unit {unit!r} is not a force unit (use N, kgf or lbf)")
    newtons = value * FORCE_UNITS[unit or "N"]
    if not 0 < newtons <= MAX_FORCE_N:
        raise ConfigError(f"it must be more than 0 and at most {MAX_FORCE_N:g} N")
    return newtons


def parse_tolerance_spec(text: str) -> ToleranceSpec:
    """ "10%" (of the target, 0-100 exclusive) or a force ("3", "3N", "0.3kgf"), more than 0."""
    value, unit = _signed(text)
    if unit == "%":
        if not 0 < value < 100:
            raise ConfigError("a per cent must be more than 0 and under 100")
        return ToleranceSpec(value, True)
    if unit and unit not in FORCE_UNITS:
        raise ConfigError(f"the unit {unit!r} is not %, N, kgf or lbf")
    newtons = value * FORCE_UNITS[unit or "N"]
    if not 0 < newtons <= MAX_FORCE_N:
        raise ConfigError(f"it must be more than 0 and at most {MAX_FORCE_N:g} N")
    return ToleranceSpec(newtons, False)


def check_band(target_n: float, tolerance_n: float) -> None:
    """The band must lie above zero: a tolerance of the target or more is not a band."""
    if not 0 < tolerance_n < target_n:
        raise ConfigError(
            f"a tolerance of {tolerance_n:g} N around a target of {target_n:g} N gives a band "
            f"from {target_n - tolerance_n:g} N: keep it under the target"
        )


def parse_seconds(
    text: str, *, minimum: float = 0.0, maximum: float = MAX_HOLD_S, zero_ok: bool = False
) -> float:
    """Seconds: "30", "30s", "0.5"; more than ``minimum`` (or equal with ``zero_ok``)."""
    value, unit = _signed(text)
    if unit not in ("", "s"):
        raise ConfigError(f"the unit {unit!r} is not seconds (give 30 or 30s)")
    low_ok = value >= minimum if zero_ok else value > minimum
    if not (low_ok and value <= maximum):
        least = "at least" if zero_ok else "more than"
        raise ConfigError(f"it must be {least} {minimum:g} s and at most {maximum:g} s")
    return value


def parse_rate(text: str, *, minimum: float = 0.0, maximum: float = 100_000.0) -> float:
    """Samples per second: "80", "80Hz"."""
    value, unit = _signed(text)
    if unit not in ("", "Hz", "hz"):
        raise ConfigError(f"the unit {unit!r} is not Hz (give samples per second)")
    if not (minimum < value if minimum == 0 else minimum <= value) or value > maximum:
        raise ConfigError(f"it must be within {minimum:g}-{maximum:g} Hz")
    return value
