"""Which serial ports exist, which look like a sensor, and which one ``serve`` should use."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from presshold.errors import SourceError
from presshold.firmware_bridge.gauge_dialects import DIALECTS

log = logging.getLogger("presshold.bridge")


# USB vendor ids of boards and USB-serial chips a PressHold sensor is built on
LIKELY_VIDS = {
    0x2341: "Arduino",
    0x2A03: "Arduino",
    0x1A86: "CH340",
    0x10C4: "CP210x",
    0x0403: "FTDI",
    0x239A: "Adafruit",
}

GAUGE_USB_IDS = {(0x0483, 0xA1AD): "mark10"}
"""USB VID:PID of gauges' own USB ports -> dialect. Mark-10 Series 5/7 as a public driver lists
it (0483 is STMicroelectronics' vendor id, so the product id must match too). Gauges behind a
generic USB-serial chip (FTDI, Prolific) cannot be told from other devices by id."""
GAUGE_NAMES = {
    "mark-10": "mark10",
    "mark10": "mark10",
    "dillon": "dillon",
    "mecmesin": "dillon",
    "andilog": "andilog",
    "imada": "gauge",
    "shimpo": "gauge",
    "wagner": "gauge",
}
"""Words in the USB manufacturer/product strings that name a gauge maker -> dialect."""


@dataclass(frozen=True, slots=True)
class PortInfo:
    device: str
    description: str
    vid_pid: str | None
    """``2341:0043`` for USB ports, else None."""
    serial_number: str | None
    likely: str | None
    """Why this looks like a sensor (``Arduino``, ``CH340``, ``CP210x``, ``FTDI``, or
    ``Mark-10 gauge`` for a known force gauge)."""
    gauge: str | None = None
    """The gauge dialect (``mark10``) when the USB identity names a force gauge."""

    @property
    def source(self) -> str:
        """What ``--source`` should say for this port: ``mark10:COM4`` for a gauge."""
        return f"{self.gauge}:{self.device}" if self.gauge else self.device


def comports() -> list[Any]:
    """The OS's port list for finding a sensor again; best effort, never fatal to the reader."""
    import serial.tools.list_ports

    try:
        return list(serial.tools.list_ports.comports())
    except Exception:  # odd platforms/drivers: reconnect by path still works
        log.debug("listing serial ports failed", exc_info=True)
        return []


def list_ports() -> list[PortInfo]:
    """Every serial port the OS reports, with its USB identity, then simulator ptys."""
    import serial.tools.list_ports

    out = []
    for p in sorted(serial.tools.list_ports.comports(), key=lambda p: p.device):
        usb = p.vid is not None and p.pid is not None
        gauge = gauge_dialect(p) if usb else None
        likely = LIKELY_VIDS.get(p.vid) if usb else None
        if gauge is not None:
            likely = f"{DIALECTS[gauge].title} gauge"
        out.append(
            PortInfo(
                device=p.device,
                description=p.description if p.description and p.description != "n/a" else "",
                vid_pid=f"{p.vid:04x}:{p.pid:04x}" if usb else None,
                serial_number=p.serial_number or None,
                likely=likely,
                gauge=gauge,
            )
        )
    return out + simulator_ptys()


PTY_DESCRIPTION = "PressHold simulator (pty)"


def _pty_dir() -> Path:
    return Path(tempfile.gettempdir()) / "presshold-ptys"


def register_pty(device: str) -> Path:
    """Note a ``presshold simulate --pty`` device, so ``presshold ports`` lists it (the OS's port
    list has no pseudo-terminals); the caller removes the returned file when it stops."""
    folder = _pty_dir()
    folder.mkdir(exist_ok=True)
    entry = folder / str(os.getpid())
    entry.write_text(device)
    return entry


def simulator_ptys() -> list[PortInfo]:
    """Pseudo-terminals of running simulators; entries of processes that are gone are removed."""
    out = []
    folder = _pty_dir()
    for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
        with contextlib.suppress(OSError, ValueError):
            device = entry.read_text().strip()
            pid = int(entry.name)
            if not _alive(pid) or not os.path.exists(device):
                entry.unlink()
                continue
            out.append(PortInfo(device, PTY_DESCRIPTION, None, None, None))
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else (or Windows quirks): keep it
        return True
    return True


def gauge_dialect(port: Any) -> str | None:
    """The gauge dialect a listed port's USB identity names (VID:PID, else maker's name)."""
    known = GAUGE_USB_IDS.get((port.vid, port.pid))
    if known:
        return known
    words = " ".join(
        str(getattr(port, attr, None) or "") for attr in ("manufacturer", "product", "description")
    ).lower()
    return next((dialect for name, dialect in GAUGE_NAMES.items() if name in words), None)


def choose_default_source() -> str:
    """The single likely sensor, or a SourceError that says what to do."""
    ports = list_ports()
    likely = [p for p in ports if p.likely]
    if len(likely) == 1:
        return likely[0].source
    if not likely:
        seen = f" (other serial ports: {', '.join(p.device for p in ports)})" if ports else ""
        raise SourceError(
            "no USB serial sensor found (no Arduino, CH340, CP210x, FTDI or force-gauge port)"
            f"{seen}. Plug the sensor in and retry, pass --source PORT, or try the simulator "
            "with --source sim. 'presshold ports' lists what is connected."
        )
    listed = "; ".join(
        f"{p.source} ({p.likely}, {p.description or 'no description'})" for p in likely
    )
    raise SourceError(
        f"{len(likely)} possible sensors found: {listed}. Choose one with --source PORT "
        "('presshold ports' shows serial numbers)."
    )
