"""A port that cannot be used is explained: which port, why, the fix on this OS, and which ports
exist (issue 11, item 8) — the words for every case on every OS, then a real SerialSource."""

from __future__ import annotations

import errno
import time
from pathlib import Path

import pytest
import serial

from presshold.firmware_bridge import open_source
from presshold.firmware_bridge.port_errors import classify, explain
from presshold.firmware_bridge.ports import PortInfo

PORTS = [
    PortInfo("/dev/ttyACM0", "Arduino Uno", "2341:0043", "7563", "Arduino"),
    PortInfo("/dev/pts/4", "PressHold simulator (pty)", None, None, None),
]
# what pyserial raises, as it words it on each platform
LINUX_MISSING = serial.SerialException(
    errno.ENOENT, "could not open port /dev/ttyX: [Errno 2] No such file or directory"
)
LINUX_DENIED = serial.SerialException(
    errno.EACCES, "could not open port /dev/ttyACM0: [Errno 13] Permission denied: '/dev/ttyACM0'"
)
LINUX_BUSY = serial.SerialException(
    errno.EBUSY, "could not open port /dev/ttyACM0: [Errno 16] Device or resource busy"
)
LINUX_LOCKED = serial.SerialException("Could not exclusively lock port /dev/ttyACM0: [Errno 11]")
WIN_MISSING = serial.SerialException(
    "could not open port 'COM9': FileNotFoundError(2, 'The system cannot find the file "
    "specified.', None, 2)"
)
WIN_DENIED = serial.SerialException(
    "could not open port 'COM3': PermissionError(13, 'Access is denied.', None, 5)"
)


@pytest.mark.parametrize(
    ("exc", "platform", "kind"),
    [
        (LINUX_MISSING, "linux", "not_found"),
        (LINUX_DENIED, "linux", "permission"),
        (LINUX_DENIED, "darwin", "permission"),
        (LINUX_BUSY, "linux", "busy"),
        (LINUX_LOCKED, "linux", "busy"),
        (WIN_MISSING, "win32", "not_found"),
        (WIN_DENIED, "win32", "busy"),  # Windows says "Access is denied" for a port in use
        (PermissionError(errno.EACCES, "Permission denied"), "linux", "permission"),
        (ValueError("bad baud"), "linux", "other"),
    ],
)
def test_each_failure_is_classified(exc: BaseException, platform: str, kind: str) -> None:
    assert classify(exc, platform) == kind


def test_the_sentence_names_the_port_the_reason_the_fix_and_the_ports() -> None:
    text = explain("/dev/ttyNOPE", None, PORTS, "linux")
    assert text.startswith("No sensor at /dev/ttyNOPE: that port does not exist.")
    assert "/dev/ttyACM0 (Arduino)" in text and "/dev/pts/4 (PressHold simulator (pty))" in text
    denied = explain("/dev/ttyACM0", LINUX_DENIED, PORTS, "linux")
    assert "permission denied" in denied and "dialout" in denied and "usermod" in denied
    assert "System Settings" in explain("/dev/cu.usbmodem1", LINUX_DENIED, PORTS, "darwin")
    busy = explain("COM3", WIN_DENIED, [], "win32")
    assert "COM3: port busy" in busy and "Serial Monitor" in busy
    assert "No serial ports are connected" in busy


def test_a_missing_port_is_said_on_the_console_and_in_the_status(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    src = open_source(str(tmp_path / "ttyNOPE"), data_dir=tmp_path)
    statuses = []

    class Sink:
        def on_readings(self, b):  # type: ignore[no-untyped-def]
            pass

        def on_status(self, s):  # type: ignore[no-untyped-def]
            statuses.append(s)

    with caplog.at_level("WARNING", logger="presshold.bridge"):
        src.start(Sink())
        end = time.monotonic() + 10
        while time.monotonic() < end and not any(s.message for s in statuses):
            time.sleep(0.05)
        time.sleep(0.5)  # the search goes on every 0.2 s: the warning stays one line
        src.stop()
    message = next(s.message for s in statuses if s.message)
    assert f"No sensor at {tmp_path / 'ttyNOPE'}: that port does not exist" in message
    assert "Ports here" in message or "No serial ports" in message
    warnings = [r for r in caplog.records if "ttyNOPE" in r.getMessage()]
    assert len(warnings) == 1


def test_serve_says_it_on_the_console_at_start_up(tmp_path: Path) -> None:
    import subprocess
    import sys

    nope = tmp_path / "ttyNOPE"
    cmd = [sys.executable, "-m", "presshold", "serve", "--source", str(nope), "--no-browser"]
    cmd += ["--http-port", "0", "--data-dir", str(tmp_path / "data")]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # the first thing it says on stderr
        assert f"No sensor at {nope}: that port does not exist" in line
        assert "Ports here" in line or "No serial ports" in line
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()
