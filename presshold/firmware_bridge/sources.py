"""From what the user typed after ``--source`` to sources, each with a stable identity.

A server runs one station per source. ``--source`` may repeat; ``sim:N`` stands for N simulated
hands that behave differently; ``auto`` (handled by the server, which keeps watching) takes every
likely sensor. The *identity* of a source — its USB serial number when the port has one, else the
spec as typed — is what a station's id, its remembered name and its settings are keyed by, so
they survive a restart and a replug under another port name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from presshold.errors import ConfigError
from presshold.firmware_bridge.calibration import CalibrationStore
from presshold.firmware_bridge.gauge_dialects import is_gauge_spec, parse_gauge_spec
from presshold.firmware_bridge.gauge_source import GaugeSource
from presshold.firmware_bridge.ports import choose_default_source, comports
from presshold.firmware_bridge.replay_source import ReplaySource
from presshold.firmware_bridge.serial_source import SerialSource
from presshold.firmware_bridge.simulated_source import SimulatedSource
from presshold.firmware_bridge.simulator import STYLES
from presshold.firmware_bridge.source import Source

__all__ = ["SimulatedSource", "SourceSpec", "choose_default_source", "expand", "open_source"]

AUTO = "auto"
MAX_SIM = 64
_SIM_N = re.compile(r"^sim:(\d+)$")


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One source to open: ``spec`` for :func:`open_source`, ``identity`` for everything that
    must be remembered about it."""

    spec: str
    identity: str
    sim_index: int | None = None
    """1-based hand number of ``sim:N`` (each hand has its own style and seed)."""


def identity_of(spec: str) -> str:
    """``usb:SERIAL`` for a USB port with a serial number, else the spec itself."""
    for port in comports():
        if port.device == spec and getattr(port, "serial_number", None):
            return f"usb:{port.serial_number}"
    return spec


def expand(specs: list[str]) -> list[SourceSpec]:
    """Specs as typed → one :class:`SourceSpec` per station (``auto`` is left to the caller)."""
    out: list[SourceSpec] = []
    for spec in specs:
        m = _SIM_N.match(spec)
        if m:
            n = int(m.group(1))
            if not 1 <= n <= MAX_SIM:
                raise ConfigError(f"--source {spec}: use sim:1 to sim:{MAX_SIM}")
            out += [SourceSpec("sim", f"sim:{i}", i) for i in range(1, n + 1)]
        elif spec == "sim":
            out.append(SourceSpec("sim", "sim"))
        elif spec != AUTO:
            out.append(SourceSpec(spec, identity_of(spec)))
    seen: set[str] = set()
    for s in out:
        if s.identity in seen:
            raise ConfigError(f"--source {s.spec} is given twice (one sensor, one station)")
        seen.add(s.identity)
    return out


def open_source(
    spec: str,
    *,
    data_dir: Path,
    rate_hz: float | None = None,
    replay_speed: float = 1.0,
    baud: int = 115200,
    zero_tracking: bool = False,
    sim_index: int | None = None,
) -> Source:
    """``sim``, a CSV or Parquet trace path, a gauge (``mark10:COM4?baud=9600``), or a serial
    port / pyserial URL."""
    store = CalibrationStore(data_dir)
    source: Source
    if spec == "sim":
        if sim_index is None:
            source = SimulatedSource(rate_hz or 80.0, store)
        else:
            style = STYLES[(sim_index - 1) % len(STYLES)]
            source = SimulatedSource(rate_hz or 80.0, store, style=style, name=f"sim-{sim_index}")
    elif is_gauge_spec(spec):  # a commercial force gauge: firmware_bridge/gauge_dialects.py
        source = GaugeSource(parse_gauge_spec(spec), spec, store)
    elif spec.lower().endswith((".csv", ".parquet", ".pq")):
        source = ReplaySource(Path(spec), store, speed=replay_speed)
    else:
        source = SerialSource(spec, store, baud=baud)
    source.set_zero_tracking(zero_tracking)
    return source
