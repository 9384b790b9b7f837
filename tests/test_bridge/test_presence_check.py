"""The reader's look for a port that went quiet because it was unplugged (some drivers neither
fail the read nor return EOF): shared by the PressHold serial reader and the gauge reader."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from presshold.firmware_bridge.serial_source import PresenceCheck


def test_a_quiet_port_whose_path_is_gone_reads_as_an_unplug(tmp_path: Path) -> None:
    device = tmp_path / "ttyACM0"
    device.touch()
    presence = PresenceCheck(str(device), period_s=0.25)
    t0 = time.monotonic() + 1.0  # every check below is a period after the check's creation
    presence.check(t0, quiet_since=t0 - 0.3)  # quiet long enough, but still there
    device.unlink()
    presence.check(t0 + 0.1, quiet_since=t0 - 0.3)  # looked 0.1 s ago: not yet again
    presence.check(t0 + 0.5, quiet_since=t0 + 0.4)  # quiet for only 0.1 s: not looked at
    with pytest.raises(OSError, match="ttyACM0 disappeared"):
        presence.check(t0 + 0.5, quiet_since=t0)


@pytest.mark.parametrize("port", ["COM3", "socket://127.0.0.1:7000", "\\\\.\\COM10"])
def test_ports_that_are_not_paths_are_never_looked_for(port: str) -> None:
    presence = PresenceCheck(port, period_s=0.25)
    now = time.monotonic() + 10.0
    presence.check(now, quiet_since=now - 10.0)  # no such file, and no error
