"""Signal core: pure NumPy/SciPy filtering, hold detection, metrics and units (no I/O).

Modules: ``params`` (HoldParams), ``filters`` (glitch guard, display and detection filters),
``one_euro`` (the display filter),
``detector`` (press/hold/alert state machine), ``metrics`` (per hold and per session),
``pipeline`` (LivePipeline and analyze — one code path for live and offline), ``units``.
"""

from presshold.signal.detector import IDLE, IN_BAND, OVER, UNDER, Event, LiveState
from presshold.signal.filters import FilterDesign, design_filters
from presshold.signal.metrics import AlertRecord, HoldMetrics, SessionSummary
from presshold.signal.one_euro import OneEuroFilter, OneEuroParams
from presshold.signal.params import HoldParams
from presshold.signal.pipeline import Analysis, BlockResult, LivePipeline, analyze
from presshold.signal.units import (
    FORCE_UNITS,
    PRESSURE_UNITS,
    parse_force,
    parse_tolerance,
    to_display,
)

__all__ = [
    "FORCE_UNITS",
    "IDLE",
    "IN_BAND",
    "OVER",
    "PRESSURE_UNITS",
    "UNDER",
    "AlertRecord",
    "Analysis",
    "BlockResult",
    "Event",
    "FilterDesign",
    "HoldMetrics",
    "HoldParams",
    "LivePipeline",
    "LiveState",
    "OneEuroFilter",
    "OneEuroParams",
    "SessionSummary",
    "analyze",
    "design_filters",
    "parse_force",
    "parse_tolerance",
    "to_display",
]
