"""Signal core: pure NumPy/SciPy filtering, hold detection and units (no I/O)."""

from presshold.signal.pipeline import (
    Analysis,
    BlockResult,
    Event,
    HoldMetrics,
    HoldParams,
    LivePipeline,
    LiveState,
    SessionSummary,
    analyze,
)
from presshold.signal.units import (
    FORCE_UNITS,
    PRESSURE_UNITS,
    parse_force,
    parse_tolerance,
    to_display,
)

__all__ = [
    "FORCE_UNITS",
    "PRESSURE_UNITS",
    "Analysis",
    "BlockResult",
    "Event",
    "HoldMetrics",
    "HoldParams",
    "LivePipeline",
    "LiveState",
    "SessionSummary",
    "analyze",
    "parse_force",
    "parse_tolerance",
    "to_display",
]
