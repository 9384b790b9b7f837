"""Serial bridge benchmarks: parser throughput and serial-arrival -> reading latency at 1 kHz.

Run: ``.venv/bin/python bench/bench_bridge.py``. The latency is measured over a pty, which has no
baud limit; on real USB CDC (Arduino) add the USB frame time (~1 ms), and on a 115200-baud UART
add ~2 ms per 25-byte line of transmission time.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support.pty_device import PtyDevice  # noqa: E402

from presshold.firmware_bridge import ReadingBatch, SourceStatus, open_source  # noqa: E402
from presshold.firmware_bridge.protocol import LineParser  # noqa: E402


def parser_throughput(n: int = 200_000, repeats: int = 5) -> float:
    """Lines per second of CPU time (best of ``repeats``): wall time lies on a shared machine."""
    data = "".join(f"t_us:{k * 1000},raw:{84000 + k % 977}\n" for k in range(n)).encode()
    chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)]
    best = 0.0
    for _ in range(repeats):
        p = LineParser()
        t0 = time.process_time()
        count = sum(len(p.feed(c).t_us) for c in chunks)
        dt = time.process_time() - t0
        assert count == n
        best = max(best, n / dt)
    return best


def latency_1khz(seconds: float = 5.0) -> tuple[np.ndarray, np.ndarray, float]:
    """A fake device writes each line carrying its send time; we measure when its batch lands.

    Returns (arrival latency ms, timestamp error ms = stamped t_s - send time, process CPU %).
    Both clocks are ``time.monotonic()``. The CPU figure is the whole process, so it includes
    the fake device's writer thread as well as the reader.
    """
    lat: list[float] = []
    err: list[float] = []
    lock = threading.Lock()
    base = time.monotonic()  # values sent relative to this: '%.6g' keeps 10 us resolution

    class Sink:
        def on_readings(self, batch: ReadingBatch) -> None:
            now = time.monotonic()
            with lock:
                lat.extend(now - base - batch.raw)
                err.extend(batch.t_s - base - batch.raw)

        def on_status(self, status: SourceStatus) -> None:
            pass

    with tempfile.TemporaryDirectory() as d, PtyDevice(Path(d) / "tty", rate_hz=1000) as dev:
        src = open_source(dev.path, data_dir=Path(d))
        src.start(Sink())
        time.sleep(0.3)
        dev.send_hello(rate=1000, unit="raw")
        dev.start_stream(lambda _t: time.monotonic() - base, label="raw")
        cpu0, wall0 = time.process_time(), time.monotonic()
        time.sleep(seconds)
        cpu = (time.process_time() - cpu0) / (time.monotonic() - wall0) * 100
        dev.stop_stream()
        time.sleep(0.1)
        src.stop()
    return np.asarray(lat[100:]) * 1e3, np.asarray(err[100:]) * 1e3, cpu


def main() -> None:
    print(f"parser throughput: {parser_throughput():,.0f} lines per CPU second")
    ms, err, cpu = latency_1khz()
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    print(
        f"pty 1 kHz arrival->reading latency over {len(ms)} readings: "
        f"p50 {p50:.3f} ms, p95 {p95:.3f} ms, p99 {p99:.3f} ms, max {ms.max():.3f} ms"
    )
    e5, e50, e95 = np.percentile(err, [5, 50, 95])
    print(
        f"timestamp error (stamped t_s - device send time): p5 {e5:.3f} ms, p50 {e50:.3f} ms, "
        f"p95 {e95:.3f} ms, max {err.max():.3f} ms; process CPU {cpu:.0f} % of one core"
    )


if __name__ == "__main__":
    main()
