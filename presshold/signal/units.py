"""Force/pressure unit parsing and display conversion (newtons internally)."""

from __future__ import annotations

import re

import numpy as np

from presshold.errors import ConfigError

KGF_N = 9.80665
LBF_N = 4.4482216152605
FORCE_UNITS = {"N": 1.0, "kgf": KGF_N, "lbf": LBF_N}
PRESSURE_UNITS = ("kPa", "kgf/cm2")
_NUM = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([A-Za-z%/0-9]*)\s*$")


def parse_force(text: str) -> float:
    """Parse "30", "30N", "3kgf", "6.7lbf" to newtons (bare numbers are newtons)."""
    m = _NUM.match(str(text))
    unit = m.group(2) if m else None
    if m is None or (unit and unit not in FORCE_UNITS):
        raise ConfigError(f"cannot read force {text!r}: use e.g. 30, 30N, 3kgf or 6.7lbf")
    return float(m.group(1)) * FORCE_UNITS[unit or "N"]


def parse_tolerance(text: str, target_n: float) -> float:
    """Parse "10%" (of the target) or an absolute force such as "3N"."""
    s = str(text).strip()
    if s.endswith("%"):
        try:
            return float(s[:-1]) / 100.0 * target_n
        except ValueError:
            raise ConfigError(f"cannot read tolerance {text!r}") from None
    return parse_force(s)


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
