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


def parser_throughput(n: int = 200_000) -> float:
    data = "".join(f"t_us:{k * 1000},raw:{84000 + k % 977}\n" for k in range(n)).encode()
    chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)]
    p = LineParser()
    t0 = time.perf_counter()
    count = sum(len(p.feed(c).t_us) for c in chunks)
    dt = time.perf_counter() - t0
    assert count == n
    return n / dt


def latency_1khz(seconds: float = 5.0) -> np.ndarray:
    """Device writes a line carrying its perf_counter send time; we measure when the batch lands."""
    lat: list[float] = []
    lock = threading.Lock()
    base = time.perf_counter()  # values sent relative to this: '%.6g' keeps 10 us resolution

    class Sink:
        def on_readings(self, batch: ReadingBatch) -> None:
            now = time.perf_counter()
            with lock:
                lat.extend(now - base - batch.raw)

        def on_status(self, status: SourceStatus) -> None:
            pass

    with tempfile.TemporaryDirectory() as d, PtyDevice(Path(d) / "tty", rate_hz=1000) as dev:
        src = open_source(dev.path, data_dir=Path(d))
        src.start(Sink())
        time.sleep(0.3)
        dev.send_hello(rate=1000, unit="raw")
        dev.start_stream(lambda _t: time.perf_counter() - base, label="raw")
        time.sleep(seconds)
        dev.stop_stream()
        time.sleep(0.1)
        src.stop()
    return np.asarray(lat[100:]) * 1e3


def main() -> None:
    print(f"parser throughput: {parser_throughput():,.0f} lines/s")
    ms = latency_1khz()
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    print(
        f"pty 1 kHz arrival->reading latency over {len(ms)} readings: "
        f"p50 {p50:.3f} ms, p95 {p95:.3f} ms, p99 {p99:.3f} ms, max {ms.max():.3f} ms"
    )


if __name__ == "__main__":
    main()
