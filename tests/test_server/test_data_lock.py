"""One server per data directory, one reader per serial port (issue 12, item 9)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.collect import Collect, streaming
from support.pty_device import PtyDevice
from support.server import ServerProcess, free_port

from presshold.firmware_bridge import open_source
from presshold.server.data_lock import DataDirBusy, DataDirLock


def test_a_second_server_on_one_data_dir_exits_naming_the_first(tmp_path: Path) -> None:
    with ServerProcess(tmp_path) as first:
        assert first.proc is not None
        r = subprocess.run(
            [sys.executable, "-m", "presshold", "serve", "--source", "sim", "--no-browser",
             "--http-port", str(free_port()), "--data-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert r.returncode != 0
        assert "another PressHold server is using" in r.stderr, r.stderr
        assert f"pid {first.proc.pid}" in r.stderr and f":{first.port}/" in r.stderr
        assert "Traceback" not in r.stderr
        assert first.proc.poll() is None  # the first one is untouched
    again = DataDirLock(tmp_path)  # released at exit: a later server may start
    assert again.acquire("next")
    again.release()


def test_the_lock_is_the_os_lock_not_the_file(tmp_path: Path) -> None:
    """A lock file left by a killed server (kill -9, power cut) does not block the next one."""
    (tmp_path / "server.lock").write_text("pid 99999, http://127.0.0.1:1/, since long ago\n")
    with DataDirLock(tmp_path) as lock:
        assert lock.acquire(f"pid {os.getpid()}")
        with pytest.raises(DataDirBusy, match=f"pid {os.getpid()}"):
            DataDirLock(tmp_path).acquire("second")
    assert DataDirLock(tmp_path).acquire("third")


def test_an_unusable_data_dir_is_left_to_the_store_to_report(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert DataDirLock(blocker / "data").acquire("me") is False


@pytest.mark.skipif(sys.platform == "win32", reason="pty")
def test_a_serial_port_is_opened_exclusively(tmp_path: Path) -> None:
    with PtyDevice(tmp_path / "ttyX") as dev, streaming(dev.path, data_dir=tmp_path) as (src, _):
        second = open_source(dev.path, data_dir=tmp_path / "other")
        sink = Collect()
        second.start(sink)
        try:
            message = lambda: (second.status.message or "").lower()  # noqa: E731
            assert sink.wait(lambda: "cannot open" in message(), timeout=5)
            assert "busy" in message() and "another program holds it" in message()
            assert not second.status.connected and src.status.connected
        finally:
            second.stop()
