"""A fake PressHold sensor on a real pseudo-terminal, reachable at a stable symlink.

The reader under test opens ``device.path`` with pyserial exactly as it would open a USB port, so
framing, block reads, unplug (master closed -> SerialException / EOF) and replug behind the same
symlink are exercised for real. Linux/macOS only (uses :mod:`pty`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from presshold.firmware_bridge.pty_port import PtyPort


class PtyDevice(PtyPort):
    """A fake sensor writing protocol-v1 lines into a pty whose slave is symlinked at ``link``."""

    link: Path

    def __init__(self, link: Path, rate_hz: float = 80.0) -> None:
        self.rate_hz = float(rate_hz)
        self._stream: threading.Thread | None = None
        self._stop = threading.Event()
        super().__init__(Path(link))

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

    def replug(self) -> None:
        """A new pty behind the same link, then a hello, like a board re-enumerating."""
        self.unplug()
        self._plug()
        time.sleep(0.05)
        self.send_hello(rate=self.rate_hz)

    def close(self) -> None:
        self.stop_stream()
        self.unplug()

    def __enter__(self) -> PtyDevice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
