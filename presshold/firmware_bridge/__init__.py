"""Sensor sources: the serial line protocol, a simulated hand, CSV replay, calibration."""

from presshold.firmware_bridge.calibration import Calibration, CalibrationStore, ZeroTracking
from presshold.firmware_bridge.clock import DeviceClock
from presshold.firmware_bridge.protocol import LineParser
from presshold.firmware_bridge.source import ReadingBatch, Source, SourceSink, SourceStatus
from presshold.firmware_bridge.sources import (
    PortInfo,
    ReplaySource,
    SerialSource,
    SimulatedSource,
    choose_default_source,
    list_candidate_ports,
    list_ports,
    open_source,
)

__all__ = [
    "Calibration",
    "CalibrationStore",
    "DeviceClock",
    "LineParser",
    "PortInfo",
    "ReadingBatch",
    "ReplaySource",
    "SerialSource",
    "SimulatedSource",
    "Source",
    "SourceSink",
    "SourceStatus",
    "ZeroTracking",
    "choose_default_source",
    "list_candidate_ports",
    "list_ports",
    "open_source",
]
