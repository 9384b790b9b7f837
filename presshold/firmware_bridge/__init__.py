"""Sensor sources: serial protocol v1, force gauges, a simulated hand, CSV replay, calibration."""

from presshold.firmware_bridge.calibration import Calibration, CalibrationStore, ZeroTracking
from presshold.firmware_bridge.clock import DeviceClock
from presshold.firmware_bridge.gauge_source import GaugeSource
from presshold.firmware_bridge.ports import (
    PortInfo,
    choose_default_source,
    list_ports,
)
from presshold.firmware_bridge.protocol import LineParser
from presshold.firmware_bridge.replay_source import ReplaySource
from presshold.firmware_bridge.serial_source import SerialSource
from presshold.firmware_bridge.simulated_source import SimulatedSource
from presshold.firmware_bridge.source import ReadingBatch, Source, SourceSink, SourceStatus
from presshold.firmware_bridge.sources import open_source

__all__ = [
    "Calibration",
    "CalibrationStore",
    "DeviceClock",
    "GaugeSource",
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
    "list_ports",
    "open_source",
]
