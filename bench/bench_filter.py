"""Display filter: the One Euro filter (issue 13) against the 10 Hz Butterworth it replaced.

Run: .venv/bin/python bench/bench_filter.py [--grid]

Prints, old and new side by side:
- a 0 → 20 N step at 80 Hz and 1 kHz: delay to 50 % and 90 % after the input's own crossing
  (linear interpolation between samples, so sub-sample), and overshoot;
- a press at 10 N/s and 5 N/s: the delay at mid-ramp;
- steadiness at rest: sd of the output for a steady 30 N + 0.3 N white noise + 0.5 N of 9 Hz
  tremor (mean of 5 seeds, 20 s each, first 2 s skipped);
- the simulated hand (``HandModel``, 10 min): RMS difference from its voluntary force — the raw
  signal low-passed at 4 Hz with zero phase (``sosfiltfilt``) — where that force is still
  (< 2 N/s) and where it moves;
- cost: µs per call for blocks of 1 … 1024 samples (fastest batch of 500 calls, median single call
  in brackets), and one whole-array call over an hour at 1 kHz; for the One Euro both of its
  implementations (per-sample loop, NumPy scan) at every block size, which is what chose the
  switch-over at 64 samples.
``--grid`` adds the parameter sweep behind the defaults (docs/signal.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
from scipy.signal import butter, sosfilt, sosfilt_zi, sosfiltfilt

from presshold.firmware_bridge.simulator import SIM_OFFSET_RAW, SIM_SCALE_N_PER_RAW, HandModel
from presshold.signal import OneEuroFilter, OneEuroParams
from presshold.signal.filters import GlitchGuard
from presshold.signal.iir import BlockMap

Filter = Callable[[np.ndarray, float], np.ndarray]
BATCH = 500
SEEDS = 5


class ButterworthDisplay:
    """The display filter before issue 13: 2nd order, fc = min(10 Hz, 0.4·rate), steady start;
    blocks ≤ 128 samples by one precomputed matrix product, longer ones by ``sosfilt``."""

    def __init__(self, rate: float) -> None:
        self.sos = butter(2, min(10.0, 0.4 * rate), fs=rate, output="sos")
        self.zi: np.ndarray | None = None
        self._m: dict[int, np.ndarray] = {}

    def process(self, x: np.ndarray) -> np.ndarray:
        if self.zi is None:
            self.zi = sosfilt_zi(self.sos).ravel() * x[0]
        n = x.size
        if n > 128:
            y, zf = sosfilt(self.sos, x, zi=self.zi.reshape(-1, 2))
            self.zi = zf.ravel()
            return y
        m = self._m.get(n)
        if m is None:
            m = self._m[n] = BlockMap(self.sos, n).matrix
        out = m @ np.concatenate((x, self.zi))
        self.zi = out[n:]
        return out[:n]


def old(x: np.ndarray, rate: float) -> np.ndarray:
    """The old display filter over a whole signal (what its blocks added up to)."""
    sos = butter(2, min(10.0, 0.4 * rate), fs=rate, output="sos")
    return sosfilt(sos, x, zi=sosfilt_zi(sos) * x[0])[0]


def one_euro(params: OneEuroParams | None = None) -> Filter:
    return lambda x, rate: OneEuroFilter(rate, params).process(x)


def crossing_s(t: np.ndarray, y: np.ndarray, level: float) -> float:
    i = int(np.flatnonzero(y >= level)[0])
    return float(t[i - 1] + (level - y[i - 1]) / (y[i] - y[i - 1]) * (t[i] - t[i - 1]))


def step(f: Filter, rate: float) -> tuple[float, float, float]:
    t = np.arange(0, 1.5, 1 / rate)
    x = np.where(t >= 0.5, 20.0, 0.0)
    y = f(x, rate)
    t50 = crossing_s(t, y, 10) - crossing_s(t, x, 10)
    t90 = crossing_s(t, y, 18) - crossing_s(t, x, 18)
    return t50 * 1e3, t90 * 1e3, max(0.0, (float(y.max()) - 20) / 20 * 100)


def ramp_lag_ms(f: Filter, rate: float, n_per_s: float) -> float:
    t = np.arange(0, 1 + 30 / n_per_s + 1, 1 / rate)
    x = np.clip((t - 1) * n_per_s, 0, 30)
    return (crossing_s(t, f(x, rate), 15) - crossing_s(t, x, 15)) * 1e3


def rest_sd(f: Filter, rate: float) -> float:
    sds = []
    t = np.arange(0, 20, 1 / rate)
    for seed in range(SEEDS):
        x = 30 + np.random.default_rng(seed).normal(0, 0.3, t.size)
        x += 0.5 * np.sin(2 * np.pi * 9 * t)
        sds.append(float(np.std(f(x, rate)[int(2 * rate) :])))
    return statistics.mean(sds)


_hands: dict[float, tuple[np.ndarray, np.ndarray]] = {}


def hand(rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Ten minutes of the simulated hand in newtons, glitch-guarded as the pipeline does, and its
    voluntary force (4 Hz zero-phase low-pass: no tremor, no lag)."""
    if rate not in _hands:
        raw = HandModel(rate, seed=11).samples(int(600 * rate))
        f, _ = GlitchGuard().clean((raw - SIM_OFFSET_RAW) * SIM_SCALE_N_PER_RAW, 30.0)
        _hands[rate] = (f, sosfiltfilt(butter(4, 4.0, fs=rate, output="sos"), f))
    return _hands[rate]


def hand_error(f: Filter, rate: float) -> tuple[float, float]:
    x, truth = hand(rate)
    err = f(x, rate) - truth
    still = np.abs(np.gradient(truth) * rate) < 2.0
    return float(np.sqrt(np.mean(err[still] ** 2))), float(np.sqrt(np.mean(err[~still] ** 2)))


def quality(f: Filter, rate: float) -> list[str]:
    t50, t90, over = step(f, rate)
    still, moving = hand_error(f, rate)
    return [
        f"{t50:5.1f}",
        f"{t90:5.1f}",
        f"{over:4.1f} %",
        f"{ramp_lag_ms(f, rate, 10):5.1f}",
        f"{ramp_lag_ms(f, rate, 5):5.1f}",
        f"{rest_sd(f, rate):.3f}",
        f"{still:.3f} / {moving:.3f}",
    ]


QUALITY_HEAD = ["t50 ms", "t90 ms", "overshoot", "ramp 10 N/s ms", "ramp 5 N/s ms", "rest sd N",
                "hand rms still / moving N"]  # fmt: skip


def table(head: list[str], rows: list[list[str]]) -> None:
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join(r) + " |")


def per_call(make: Callable[[], Callable[[np.ndarray], object]], x: np.ndarray, block: int):
    """(fastest batch of 500 calls' mean, median single call) in µs, over consecutive blocks."""
    fn = make()
    fn(x[:block])
    blocks = [x[i : i + block] for i in range(block, min(x.size, 200 * BATCH * block), block)]
    best = float("inf")
    for a in range(0, len(blocks) - BATCH + 1, BATCH):
        t0 = time.perf_counter()
        for b in blocks[a : a + BATCH]:
            fn(b)
        best = min(best, (time.perf_counter() - t0) / BATCH * 1e6)
    fn = make()
    fn(x[:block])
    single = []
    for b in blocks[:5000]:
        t0 = time.perf_counter()
        fn(b)
        single.append(time.perf_counter() - t0)
    return best, statistics.median(single) * 1e6


def cost() -> None:
    rate = 1000.0
    t = np.arange(0, 3600, 1 / rate)
    x = 30 * np.clip(np.sin(2 * np.pi * t / 20), 0, None)
    x += np.random.default_rng(0).normal(0, 0.3, t.size) + 0.5 * np.sin(2 * np.pi * 9 * t)

    def forced(method: str) -> Callable[[], Callable[[np.ndarray], object]]:
        def make():
            f = OneEuroFilter(rate)
            f.reset(float(x[0]))
            return getattr(f, method)

        return make

    cases = {
        "Butterworth 10 Hz (old)": lambda: ButterworthDisplay(rate).process,
        "One Euro (as used)": lambda: OneEuroFilter(rate).process,
        "One Euro, loop only": forced("_loop"),
        "One Euro, scan only": forced("_scan"),
    }
    rows = []
    for block in (1, 8, 32, 64, 128, 1024):
        row = [str(block)]
        for make in cases.values():
            best, med = per_call(make, x, block)
            row.append(f"{best:.1f} ({med:.1f})")
        rows.append(row)
    table(["block", *cases], rows)
    whole = ["whole hour (3.6 M)"]
    for make in cases.values():
        runs = []
        for _ in range(3):
            fn = make()
            t0 = time.perf_counter()
            fn(x)
            runs.append(time.perf_counter() - t0)
        whole.append(f"{min(runs) * 1e3:.0f} ms")
    print("| " + " | ".join(whole) + " |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", action="store_true", help="also sweep the parameters")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} at start; defaults {OneEuroParams()}\n")
    for rate in (80.0, 1000.0):
        print(f"{rate:.0f} Hz")
        rows = [["Butterworth 10 Hz (old)", *quality(old, rate)],
                ["One Euro (new)", *quality(one_euro(), rate)]]  # fmt: skip
        table(["display filter", *QUALITY_HEAD], rows)
        print()
    if args.grid:
        rows = []
        for mc in (0.5, 1.0, 2.0):
            for beta in (0.1, 0.3, 0.5, 0.7, 1.0, 1.5):
                for dc in (0.5, 1.0, 2.0):
                    p = OneEuroParams(mc, beta, dc)
                    rows.append([f"{mc} / {beta} / {dc}", *quality(one_euro(p), 80.0)])
        print("80 Hz, min cut-off Hz / beta 1/N / speed cut-off Hz")
        table(["parameters", *QUALITY_HEAD], rows)
        print()
    print("cost, µs per call at 1 kHz: fastest batch of 500 (median single call)")
    cost()
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
