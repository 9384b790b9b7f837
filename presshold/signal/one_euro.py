"""The display filter: a One Euro filter (Casiez, Roussel and Vogel, CHI 2012) with carried state.

A fixed low-pass either lags (low cut-off) or lets tremor and noise through (high cut-off). The One
Euro filter is a first-order low-pass whose cut-off rises with the signal's speed::

    v_i  = v_{i-1} + a_d · ((x_i − x_{i−1}) · rate − v_{i−1})    speed, N/s, low-passed at d_cutoff
    fc_i = min(min_cutoff + beta · |v_i|, max_cutoff)
    y_i  = y_{i−1} + a(fc_i) · (x_i − y_{i−1}),   a(fc) = 2π·fc / (2π·fc + rate)

so a steady force is smoothed hard (fc ≈ min_cutoff) and a change is followed at once (fc rises
with the speed). It is first-order: a step never overshoots. The speed is the difference of
consecutive *input* samples (as in most implementations; the paper's pseudocode differences the
previous output): that keeps the speed path a linear filter, which is what makes a vectorised,
block-exact implementation possible. The cut-off is capped at ``max_cutoff`` = 0.4 · rate (the old
Butterworth display filter's own cap): above it the filter is a pass-through anyway, and the cap
bounds ``1 − a`` from below (≥ 0.28), which keeps the vectorised scan's products in range.

Why the two paths: the output recursion is time-varying, so ``lfilter``/``sosfilt`` cannot run it,
and there is no NumPy primitive for it (nor for the speed's, which is not; SciPy is not used here,
its import alone costs ~1 s — see ``iir.py``). Measured on the project's 2-core machine (see
docs/benchmarks.md, ``bench/bench_filter.py``): a plain Python loop over the block costs ~0.2 µs
per sample (≈ 7 µs for a block of 32) and nothing per call, and any block split gives bit-for-bit
the same numbers; the NumPy scan below costs ~20 µs per call (cumulative products, for the
speed and the output) but only a few tens of ns per sample. The loop wins below ~100
samples: live blocks (≤ 64 samples) take it, long blocks and offline analyses the scan. The two
agree to rounding (~1e-13 N).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

TWO_PI = 2.0 * math.pi
MAX_CUTOFF_NYQ = 0.8  # cut-offs never above this fraction of Nyquist (0.4 · rate)
LOOP_MAX_BLOCK = 64  # longer blocks: the NumPy scan (its fixed cost is amortised)
SCAN_CHUNK = 128  # cumulative products restart every this many samples (≥ 0.28**128 ≈ 1e-71)
_max, _min = np.maximum.reduce, np.minimum.reduce  # skip ndarray.max's Python wrapper


@dataclass(frozen=True)
class OneEuroParams:
    """Parameters of the display filter; defaults tuned in docs/signal.md.

    ``beta_per_n`` is the cut-off's rise per unit of speed: Hz per N/s, i.e. 1/N. A force moving
    at 10 N/s (a typical press) raises the cut-off by 10 Hz with the default.
    """

    min_cutoff_hz: float = 1.0
    beta_per_n: float = 1.0
    d_cutoff_hz: float = 0.5

    def __post_init__(self) -> None:
        values = (self.min_cutoff_hz, self.beta_per_n, self.d_cutoff_hz)
        if not all(math.isfinite(v) for v in values):
            raise ValueError("One Euro parameters must be finite numbers")
        if self.min_cutoff_hz <= 0 or self.d_cutoff_hz <= 0 or self.beta_per_n < 0:
            raise ValueError("One Euro cut-offs must be > 0 and beta >= 0")

    def at_rate(self, rate_hz: float) -> OneEuroParams:
        """These parameters with both cut-offs clamped to 0.4 · rate (only matters below 5 Hz)."""
        cap = max_cutoff_hz(rate_hz)
        return replace(
            self, min_cutoff_hz=min(self.min_cutoff_hz, cap), d_cutoff_hz=min(self.d_cutoff_hz, cap)
        )


def max_cutoff_hz(rate_hz: float) -> float:
    """The highest cut-off the display filter uses at this rate: 0.4 · rate."""
    if not (rate_hz > 0 and math.isfinite(rate_hz)):
        raise ValueError(f"sample rate must be a positive number, got {rate_hz}")
    return MAX_CUTOFF_NYQ * rate_hz / 2


class OneEuroFilter:
    """One Euro filter at a fixed sample rate; ``process`` takes blocks of any size.

    State, carried between blocks: the last output, the last input and the speed estimate. Any
    split of a signal into blocks gives the whole-signal result (exactly for blocks ≤ 64 samples,
    to rounding otherwise). A non-finite input sample is replaced by the last finite one (0 before
    any), as the pipeline's glitch guard does, so the state never becomes NaN.
    """

    def __init__(self, rate_hz: float, params: OneEuroParams | None = None) -> None:
        self.max_cutoff_hz = max_cutoff_hz(rate_hz)
        self.rate_hz = float(rate_hz)
        self.params = (params or OneEuroParams()).at_rate(rate_hz)
        p = self.params
        w_d = TWO_PI * p.d_cutoff_hz
        self._ad = w_d / (w_d + self.rate_hz)  # smoothing factor of the speed estimate
        self._k = self._ad * self.rate_hz  # … times rate: speed gain per newton of difference
        self._w0 = TWO_PI * p.min_cutoff_hz
        self._wb = TWO_PI * p.beta_per_n
        self._wmax = TWO_PI * self.max_cutoff_hz
        self.state: tuple[float, float, float] | None = None  # (output, last input, speed N/s)

    def reset(self, x0: float) -> None:
        """Start as if the input had always been ``x0`` (no start-up transient)."""
        self.state = (float(x0), float(x0), 0.0)

    def process(self, x: np.ndarray) -> np.ndarray:
        """Filter one block (state carried); returns a new array of the same length."""
        x = np.asarray(x, dtype=float)
        if x.size == 0:
            return x.copy()
        if x.size <= LOOP_MAX_BLOCK and self.state is not None:
            before = self.state
            y = self._loop(x)
            if math.isfinite(self.state[0]) and math.isfinite(self.state[2]):
                return y
            self.state = before  # NaN and ±inf never leave the state finite: redo, filled
        if not (math.isfinite(_max(x)) and math.isfinite(_min(x))):  # NaN propagates, no warning
            x = self._fill(x)
        if self.state is None:
            self.reset(float(x[0]))
        if x.size <= LOOP_MAX_BLOCK:
            return self._loop(x)
        return self._scan(x)

    def _fill(self, x: np.ndarray) -> np.ndarray:
        """Forward-fill non-finite samples from the last finite input (0.0 if none yet)."""
        ok = np.isfinite(x)
        idx = np.maximum.accumulate(np.where(ok, np.arange(x.size), -1))
        prev = self.state[1] if self.state is not None else 0.0
        return np.where(idx >= 0, x[np.maximum(idx, 0)], prev)

    def _loop(self, x: np.ndarray) -> np.ndarray:
        assert self.state is not None
        y, xp, v = self.state
        ad, k, w0, wb, wmax, rate = self._ad, self._k, self._w0, self._wb, self._wmax, self.rate_hz
        out = []
        for xi in x.tolist():
            v += k * (xi - xp) - ad * v
            xp = xi
            w = w0 + wb * (v if v >= 0.0 else -v)
            if w > wmax:
                w = wmax
            y += (xi - y) * w / (w + rate)
            out.append(y)
        self.state = (y, xp, v)
        return np.array(out)

    def _scan(self, x: np.ndarray) -> np.ndarray:
        """Vectorised: both recursions (speed, then output) by :func:`first_order_scan`."""
        assert self.state is not None
        y0, xp, v0 = self.state
        ad, k, rate = self._ad, self._k, self.rate_hz
        # v_i = (1 − ad)·v_{i−1} + k·(x_i − x_{i−1})
        v = first_order_scan(np.full(x.size, 1.0 - ad), k * np.diff(x, prepend=xp), v0)
        w = np.minimum(self._w0 + self._wb * np.abs(v), self._wmax)
        den = w + rate
        out = first_order_scan(rate / den, x * (w / den), y0)  # y_i = g_i·y_{i−1} + (1 − g_i)·x_i
        self.state = (float(out[-1]), float(x[-1]), float(v[-1]))
        return out


def first_order_scan(g: np.ndarray, b: np.ndarray, y0: float) -> np.ndarray:
    """y_i = g_i·y_{i−1} + b_i from ``y0``, for 0.28 ≤ g_i ≤ 1, without a Python loop: per chunk
    of ``SCAN_CHUNK`` samples y = P · (y_0 + cumsum(b / P)) with P = cumprod(g), chunks chained
    through their ends (a few per 1,000 samples). Each term's rounding error stays below ε·|b|
    times the chunk length (P only shrinks within a chunk), so no precision is lost to range."""
    n = g.size
    chunks = -(-n // SCAN_CHUNK)
    pad = chunks * SCAN_CHUNK - n
    if pad:
        g = np.concatenate((g, np.ones(pad)))
        b = np.concatenate((b, np.zeros(pad)))
    prod = np.cumprod(g.reshape(chunks, SCAN_CHUNK), axis=1)
    local = prod * np.cumsum(b.reshape(chunks, SCAN_CHUNK) / prod, axis=1)  # from y = 0
    starts = [y0]  # each chunk's y_0: chained through the chunk ends
    for p_end, l_end in zip(prod[:, -1].tolist(), local[:, -1].tolist(), strict=True):
        starts.append(l_end + p_end * starts[-1])
    return (local + prod * np.array(starts[:-1])[:, None]).ravel()[:n]
