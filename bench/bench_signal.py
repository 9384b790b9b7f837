"""Signal core speed: per-block process() cost and whole-array throughput.

Run: .venv/bin/python bench/bench_signal.py
"""

from __future__ import annotations

import time

import numpy as np

from presshold.signal import HoldParams, LivePipeline, analyze

P = HoldParams(target_n=30.0, tolerance_n=3.0, hold_s=30.0)


def main() -> None:
    rate = 1000.0
    t = np.arange(0, 360, 1 / rate)
    f = 30 + 2 * np.sin(t) * (np.sin(t / 20) > 0)
    for block in (1, 16, 32):
        pipe = LivePipeline(P, rate)
        n = 2000
        t0 = time.perf_counter()
        for i in range(n):
            pipe.process(t[i * block : (i + 1) * block], f[i * block : (i + 1) * block])
        print(f"block {block:3d}: {(time.perf_counter() - t0) / n * 1e6:8.1f} us/call")
    t0 = time.perf_counter()
    analyze(t, f, P, rate)
    dt = time.perf_counter() - t0
    print(f"analyze {t.size} samples: {dt:.2f} s = {t.size / dt / 1e6:.2f} M samples/s")


if __name__ == "__main__":
    main()
