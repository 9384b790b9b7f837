"""Serial Plotter logs: the lines a sensor sent, read with the live serial parser.

Protocol-v1 ``t_us:…`` readings keep their device clock; plain Arduino Serial-Plotter lines
(``force:12.3``, ``12.3 4.5``) carry no time and need the sample rate (a ``# presshold 1 … rate=``
hello line, or given). Arduino IDE Serial Monitor timestamps (``12:34:56.789 -> ``) are dropped.
A line the live parser would reject (not a reading, too long, not finite) fails the file, naming
the line; the first line's cut-off start and device clock resets are tolerated as they are live.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from presshold.errors import TraceFormatError
from presshold.signal.units import FORCE_UNITS
from presshold.traceio.trace import Trace

UNITS = {"N": 1.0, "kgf": FORCE_UNITS["kgf"], "lbf": FORCE_UNITS["lbf"], "g": 0.00980665}
_MONITOR_STAMP = re.compile(rb"^\d\d:\d\d:\d\d\.\d{3} -> ")  # Arduino IDE "show timestamp"
_FATAL = ("garbage", "too_long", "non_finite")


def read_plotter(path: Path, label: str, rate_hz: float | None) -> Trace:
    """The readings of a log, in seconds and newtons; TraceFormatError names the bad line."""
    from presshold.firmware_bridge.protocol import LineParser

    parser = LineParser()
    t_us: list[int] = []
    timed: list[float] = []
    untimed: list[float] = []
    unit: str | None = None
    rate = rate_hz
    sensor: str | None = None
    comments: list[str] = []
    labels: set[str] = set()
    try:
        with path.open("rb") as fh:
            for number, line in enumerate(fh, 1):
                line = _MONITOR_STAMP.sub(b"", line)
                if not line.endswith(b"\n"):
                    line += b"\n"
                before = dict(parser.rejected)
                out = parser.feed(line)
                bad = [r for r in _FATAL if parser.rejected.get(r, 0) > before.get(r, 0)]
                if bad:
                    text = line.decode("ascii", "replace").strip()
                    why = {
                        "garbage": "not a reading",
                        "too_long": "line too long",
                        "non_finite": "not a finite number",
                    }[bad[0]]
                    raise TraceFormatError(
                        f"{label}:{number}: {why}: {text[:60]!r} (expected a CSV with a t_s "
                        "header, or Serial Plotter lines such as 'force:12.3')"
                    )
                for hello in out.hellos:
                    unit, sensor = hello.unit, hello.sensor
                    rate = rate or hello.rate_hz
                comments += out.comments
                t_us += out.t_us
                timed += out.values
                untimed += out.arrival_values
                if out.label:
                    labels.add(out.label)
    except OSError as exc:
        raise TraceFormatError(f"{label}: cannot read: {exc.strerror or exc}") from None
    if timed:
        t = (np.asarray(t_us, np.int64) - t_us[0]) / 1e6
        values = np.asarray(timed, float)
        unit = unit or ("N" if labels <= {"force_n"} else "raw")
    elif untimed:
        if not rate:
            raise TraceFormatError(
                f"{label}: Serial Plotter lines carry no time: give the sample rate in Hz "
                "(a '# presshold 1 … rate=80' hello line, or the rate option)"
            )
        values = np.asarray(untimed, float)
        t = np.arange(values.size) / float(rate)
        unit = unit or "N"
    else:
        raise TraceFormatError(f"{label}: no readings found (empty file or no numeric lines)")
    if unit not in UNITS:
        raise TraceFormatError(
            f"{label}: the readings are raw sensor counts (unit={unit}); only calibrated "
            "values (N, kgf, lbf, g) can be analysed"
        )
    meta: dict[str, Any] = {"sensor": sensor} if sensor else {}
    if comments:
        meta["device_messages"] = comments[:100]
    return Trace(t, values * UNITS[unit], "serial-plotter", meta, None, sensor)
