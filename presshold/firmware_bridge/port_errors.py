"""Why a serial port cannot be used, in words a therapist can act on (issue 11, item 8).

``presshold serve --source /dev/ttyNOPE`` used to start silently and the page said only "Sensor
disconnected". Every failure to find or open a port now becomes one sentence that names the port,
says why (not found, busy, permission denied — with the fix for this OS) and lists the ports that
do exist. Pure functions of the port, the error and the port list, so each case is testable on any
platform; the reader thread logs the sentence once and puts it in the source status (the page).
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Sequence

from presshold.firmware_bridge.ports import PortInfo

LINUX_PERMISSION_FIX = (
    "add your user to the 'dialout' group (sudo usermod -aG dialout $USER; on Arch the group "
    "is 'uucp'), then log out and back in"
)
FIXES = {
    "permission": {
        "linux": LINUX_PERMISSION_FIX,
        "darwin": "check the port's owner and mode (ls -l); if it is a USB adapter, install or "
        "approve its driver in System Settings › Privacy & Security",
        "win32": "another program may hold it, or Windows denied access; close other serial "
        "programs and unplug and replug the sensor",
    },
    "busy": {
        "linux": "another program holds it (the Arduino IDE's Serial Monitor, screen, minicom, "
        "ModemManager or another PressHold); close it",
        "darwin": "another program holds it (the Arduino IDE's Serial Monitor, screen or another "
        "PressHold); close it",
        "win32": "another program holds it (the Arduino IDE's Serial Monitor, PuTTY or another "
        "PressHold); close it",
    },
}


def _os(platform: str) -> str:
    if platform.startswith(("win", "cygwin")):
        return "win32"
    return "darwin" if platform == "darwin" else "linux"


def available(ports: Sequence[PortInfo]) -> str:
    """``Ports here: /dev/ttyACM0 (Arduino), /dev/pts/3 (PressHold simulator)`` or none."""
    if not ports:
        return "No serial ports are connected"
    names = [
        f"{p.device} ({p.likely or p.description})" if (p.likely or p.description) else p.device
        for p in ports
    ]
    return "Ports here: " + ", ".join(names)


def classify(exc: BaseException, platform: str = sys.platform) -> str:
    """``not_found``, ``permission``, ``busy`` or ``other`` for an error opening a port."""
    code = getattr(exc, "errno", None)
    text = str(exc).lower()
    if isinstance(exc, FileNotFoundError) or code == errno.ENOENT or "filenotfounderror" in text:
        return "not_found"
    if "no such file" in text or "cannot find the file" in text:
        return "not_found"
    if code == errno.EBUSY or "resource busy" in text or "exclusively lock" in text:
        return "busy"
    denied = isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM)
    if denied or "permission denied" in text or "access is denied" in text:
        # Windows answers "Access is denied" when another program has the port open
        return "busy" if _os(platform) == "win32" else "permission"
    return "other"


def explain(
    port: str, exc: BaseException | None, ports: Sequence[PortInfo], platform: str = sys.platform
) -> str:
    """One sentence: the port, why it cannot be used, the fix, and the ports that exist.

    ``exc`` is None when the port's path does not exist (the reader does not even try it)."""
    kind = "not_found" if exc is None else classify(exc, platform)
    here = available(ports)
    if kind == "not_found":
        return (
            f"No sensor at {port}: that port does not exist. {here}. Plug the sensor in, or "
            "choose one with --source ('presshold ports' lists them; --source sim simulates one)."
        )
    if kind in FIXES:
        why = "permission denied" if kind == "permission" else "port busy"
        return f"Cannot open {port}: {why} — {FIXES[kind][_os(platform)]}. {here}."
    return f"Cannot open {port}: {exc}. {here}."
