"""``open_source``: a source from what the user typed after ``--source``."""

from __future__ import annotations

from pathlib import Path

from presshold.firmware_bridge.calibration import CalibrationStore
from presshold.firmware_bridge.gauge_dialects import is_gauge_spec, parse_gauge_spec
from presshold.firmware_bridge.gauge_source import GaugeSource
from presshold.firmware_bridge.ports import choose_default_source
from presshold.firmware_bridge.replay_source import ReplaySource
from presshold.firmware_bridge.serial_source import SerialSource
from presshold.firmware_bridge.simulated_source import SimulatedSource
from presshold.firmware_bridge.source import Source

__all__ = ["SimulatedSource", "choose_default_source", "open_source"]  # still imported from here


def open_source(
    spec: str,
    *,
    data_dir: Path,
    rate_hz: float | None = None,
    replay_speed: float = 1.0,
    baud: int = 115200,
    zero_tracking: bool = False,
) -> Source:
    """``sim``, a CSV trace path, a gauge (``mark10:COM4?baud=9600``), or a serial port / URL."""
    store = CalibrationStore(data_dir)
    source: Source
    if spec == "sim":
        source = SimulatedSource(rate_hz or 80.0, store)
    elif is_gauge_spec(spec):  # a commercial force gauge: firmware_bridge/gauge_dialects.py
        source = GaugeSource(parse_gauge_spec(spec), spec, store)
    elif spec.lower().endswith(".csv"):
        source = ReplaySource(Path(spec), store, speed=replay_speed)
    else:
        source = SerialSource(spec, store, baud=baud)
    source.set_zero_tracking(zero_tracking)
    return source
