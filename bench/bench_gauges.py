"""The rate each simulated gauge achieves through a real GaugeSource, and what pipelining buys.

Run: ``.venv/bin/python bench/bench_gauges.py [seconds]``. Each simulated gauge (``gauge_sim``)
answers on a pty with its processing delay plus the wire time of each reply at its baud rate; the
source polls it as fast as it answers for ``seconds`` (default 5) and the achieved readings per
second are counted at the sink, next to the source's own reported rate. A pty adds no USB
latency of its own; the rows with a 16 ms "USB latency" model an FTDI adapter's default latency
timer, where keeping two requests in flight (``pipeline``) pays most.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from presshold.firmware_bridge import ReadingBatch, SourceStatus, open_source  # noqa: E402
from presshold.firmware_bridge.gauge_pty import GaugePty  # noqa: E402
from presshold.firmware_bridge.gauge_sim import SimulatedGauge  # noqa: E402

CASES = [
    ("mark10", "", False, 0.0),
    ("mark10", "?pipeline=1", False, 0.0),
    ("mark10", "", False, 0.016),
    ("mark10", "?pipeline=1", False, 0.016),
    ("dillon", "", False, 0.0),
    ("dillon", "?mode=stream", True, 0.0),
    ("dillon-gs", "", False, 0.0),
    ("andilog", "", False, 0.0),
    ("gauge", "?request=D", False, 0.0),
    ("gauge", "?request=D&pipeline=2", False, 0.0),
]


class Count:
    def __init__(self) -> None:
        self.n = 0

    def on_readings(self, batch: ReadingBatch) -> None:
        self.n += len(batch)

    def on_status(self, status: SourceStatus) -> None:
        pass


def measure(
    name: str, options: str, stream: bool, latency_s: float, seconds: float
) -> tuple[float, float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        gauge = SimulatedGauge(name, lambda t: 10.0, stream=stream, usb_latency_s=latency_s)
        with GaugePty(gauge, Path(tmp) / "tty") as sim:
            src = open_source(f"{name}:{sim.path}{options}", data_dir=Path(tmp))
            sink = Count()
            src.start(sink)
            try:
                time.sleep(1.5)  # connected, first window measured
                n0, t0 = sink.n, time.monotonic()
                time.sleep(seconds)
                achieved = (sink.n - n0) / (time.monotonic() - t0)
                status = src.status
            finally:
                src.stop()
    rejected = ", ".join(f"{k} {v}" for k, v in sorted(status.rejected.items())) or "none"
    return achieved, status.rate_hz or 0.0, rejected


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    print(f"load average {os.getloadavg()[0]:.1f}; {seconds:g} s per gauge")
    print("| spec | USB latency | achieved readings/s | reported rate_hz | rejected |")
    print("|---|---|---|---|---|")
    for name, options, stream, latency_s in CASES:
        achieved, reported, rejected = measure(name, options, stream, latency_s, seconds)
        print(
            f"| `{name}:PORT{options}` | {latency_s * 1000:g} ms | {achieved:.1f} | "
            f"{reported:.1f} | {rejected} |"
        )


if __name__ == "__main__":
    main()
