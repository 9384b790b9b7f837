"""A trace read from a file: samples in seconds and newtons, and what the file said about itself.

Also the two rules every reader shares: which settings judge a trace (:func:`trace_settings`)
and the sample checks whose errors name the line or sample (:func:`check_samples`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from presshold.errors import ConfigError, TraceFormatError
from presshold.signal import HoldParams
from presshold.traceio.columns import settings_runs


@dataclass
class Trace:
    """Samples in seconds and newtons, with what the file said about itself."""

    t_s: np.ndarray
    force_n: np.ndarray
    kind: str  # "parquet" | "csv" | "serial-plotter"
    meta: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, np.ndarray] | None = None  # SETTINGS_COLUMNS per sample, when present
    sensor: str | None = None


_PARAM_KEYS = ("target_n", "tolerance_n", "hold_s", "grace_s", "min_hold_s")


def trace_settings(
    trace: Trace, fixed: HoldParams | None, label: str
) -> tuple[HoldParams, list[tuple[int, HoldParams]]]:
    """(starting params, later changes): the given ones, else the file's settings columns, else
    its ``settings`` metadata."""
    if fixed is not None:
        return fixed, []
    if trace.settings is not None:
        runs = settings_runs(trace.settings)
        if runs:
            return runs[0][1], runs[1:]
    s = trace.meta.get("settings")
    if isinstance(s, dict) and s.get("target_n") and s.get("tolerance_n"):
        kw = {k: float(v) for k, v in s.items() if k in _PARAM_KEYS and v is not None}
        return HoldParams(
            kw["target_n"],
            kw["tolerance_n"],
            kw.get("hold_s", 30.0),
            grace_s=kw.get("grace_s", 0.5),
            min_hold_s=kw.get("min_hold_s", 1.0),
        ), []
    raise ConfigError(f"{label}: the file carries no settings; give --target (e.g. --target 30)")


def check_samples(t: np.ndarray, f: np.ndarray, label: str, where: Callable[[int], str]) -> None:
    """Times finite and sorted, forces finite; ``where(row)`` names the line or sample."""
    if t.size == 0:
        raise TraceFormatError(f"{label}: no samples")
    bad = np.flatnonzero(~np.isfinite(t))
    if bad.size:
        raise TraceFormatError(f"{label}:{where(int(bad[0]))}: t_s is not a finite number")
    back = np.flatnonzero(t[1:] < t[:-1])
    if back.size:
        raise TraceFormatError(
            f"{label}:{where(int(back[0]) + 1)}: t_s goes backwards (time must be sorted)"
        )
    badf = np.flatnonzero(~np.isfinite(f))
    if badf.size:
        raise TraceFormatError(f"{label}:{where(int(badf[0]))}: the force is not a finite number")


def sensor_of(meta: dict[str, Any]) -> str | None:
    """The sensor name a file's metadata gives, if any."""
    s = meta.get("sensor")
    return None if s is None else str(s)
