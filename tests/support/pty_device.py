"""A fake PressHold sensor on a real pseudo-terminal, reachable at a stable symlink.

The reader under test opens ``device.path`` with pyserial exactly as it would open a USB port, so
framing, block reads, unplug (master closed -> SerialException / EOF) and replug behind the same
symlink are exercised for real. Linux/macOS only (uses :mod:`pty`).
"""

from __future__ import annotations

import contextlib
import os
import pty
import threading
import time
import tty
from collections.abc import Callable, Sequence
from pathlib import Path


class PtyDevice:
    """A fake sensor writing protocol-v1 lines into a pty whose slave is symlinked at ``link``."""

    def __init__(self, link: Path, rate_hz: float = 80.0) -> None:
        self.link = Path(link)
        self.rate_hz = float(rate_hz)
        self._lock = threading.Lock()
        self._master: int | None = None
        self._slave: int | None = None
        self._stream: threading.Thread | None = None
        self._stop = threading.Event()
        self._open_pty()

    @property
    def path(self) -> str:
        """The symlink: what ``--source`` gets."""
        return str(self.link)

    def _open_pty(self) -> None:
        master, slave = pty.openpty()
        tty.setraw(slave)
        with self._lock:
            self._master, self._slave = master, slave
        tmp = self.link.with_name(self.link.name + ".tmp")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(os.ttyname(slave))
        os.replace(tmp, self.link)

    def write(self, data: bytes) -> None:
        with self._lock:
            if self._master is None:
                return  # unplugged: bytes go nowhere, like a cable pulled out
            view = memoryview(data)
            while view:
                n = os.write(self._master, view)
                view = view[n:]

    def send_hello(self, sensor: str = "pty-test", rate: float = 80, unit: str = "N") -> None:
        self.write(f"# presshold 1 sensor={sensor} rate={rate:g} unit={unit}\n".encode())

    def send_readings(
        self, t_us: Sequence[int], values: Sequence[float], label: str = "force_n"
    ) -> None:
        lines = "".join(
            f"t_us:{int(t)},{label}:{v:.6g}\n" for t, v in zip(t_us, values, strict=True)
        )
        self.write(lines.encode())

    def start_stream(self, profile: Callable[[float], float], label: str = "force_n") -> None:
        """Write readings at ``rate_hz`` in real time: value = profile(seconds since start)."""
        self.stop_stream()
        self._stop.clear()

        def run() -> None:
            t0 = time.monotonic()
            period = 1.0 / self.rate_hz
            k = 0
            while not self._stop.is_set():
                due = t0 + k * period
                now = time.monotonic()
                if due > now:
                    self._stop.wait(due - now)
                    continue
                t = k * period
                self.send_readings([int(t * 1e6) & 0xFFFFFFFF], [profile(t)], label)
                k += 1

        self._stream = threading.Thread(target=run, name="pty-device-stream", daemon=True)
        self._stream.start()

    def stop_stream(self) -> None:
        self._stop.set()
        if self._stream is not None:
            self._stream.join(timeout=2)
            self._stream = None

    def unplug(self) -> None:
        """Close both ends and remove the link: the reader sees EOF/SerialException."""
        with self._lock:
            for fd in (self._master, self._slave):
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._master = self._slave = None
        self.link.unlink(missing_ok=True)

    def replug(self) -> None:
        """A new pty behind the same link, then a hello, like a board re-enumerating."""
        self.unplug()
        self._open_pty()
        time.sleep(0.05)
        self.send_hello(rate=self.rate_hz)

    def close(self) -> None:
        self.stop_stream()
        self.unplug()

    def __enter__(self) -> PtyDevice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
