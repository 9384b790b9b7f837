"""Streaming filters: the display and detection filters with carried state, and glitch rejection.

- Display: a One Euro filter (``one_euro.py``) — steady at rest, quick on change; what the gauge,
  trace, frames and exports' ``force_display_n`` show.
- Detection: a 4th-order Butterworth low-pass at 4.5 Hz — what zones, holds and alerts are judged
  on (docs/holds.md). A linear, time-invariant IIR filter run with carried state, so any split of
  a signal into blocks gives the whole-array result (to rounding). Designed and run in NumPy
  (``iir.py``: matrix products per block, chunked with a prefix scan for long ones): a SciPy call
  costs tens of microseconds, more than the whole per-block budget, and importing
  ``scipy.signal`` costs about a second, more than an offline analysis of an hour at 1 kHz. The
  state keeps ``scipy.signal.sosfilt``'s ``zi`` layout, so the tests check against it.

Both filters are described, with their parameters and why, in docs/signal.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from presshold.signal.iir import SosCascade, butter_lowpass
from presshold.signal.one_euro import OneEuroFilter, OneEuroParams

DISPLAY = OneEuroParams()  # min cut-off 1 Hz, beta 1 /N, speed cut-off 0.5 Hz (docs/signal.md)
DETECT_HZ = 4.5  # voluntary force sits below 4 Hz; physiological tremor at 8–12 Hz is removed
DETECT_ORDER = 4
DETECT_MAX_NYQ = 0.6  # at low rates the cut-off is clamped to this fraction of Nyquist

GLITCH_FLOOR_N = 20.0
MAX_FORCE_N = 1e7
"""No force this code meets is larger (1,000 tonnes-force): beyond it a sample is treated like a
non-finite one (replaced by the guard), so it can never overflow the filters."""
STATE_LIMIT = 1e12
"""A filter state beyond this (or non-finite) can only come from a poisoned input: the filters
restart from the input instead of carrying it (an IIR would take seconds to forget 1e308)."""
_max, _min = np.maximum.reduce, np.minimum.reduce  # skip ndarray.max's Python wrapper


@dataclass(frozen=True)
class FilterDesign:
    rate_hz: float
    detect_hz: float
    detect_sos: np.ndarray
    display: OneEuroParams = field(default=DISPLAY)  # as used at this rate (cut-offs clamped)


def design_filters(rate_hz: float, display: OneEuroParams = DISPLAY) -> FilterDesign:
    """Both filters for this sample rate; cut-offs clamped below Nyquist."""
    if not rate_hz > 0:
        raise ValueError(f"sample rate must be positive, got {rate_hz}")
    f_det = min(DETECT_HZ, DETECT_MAX_NYQ * rate_hz / 2)
    sos = butter_lowpass(DETECT_ORDER, f_det, rate_hz)
    return FilterDesign(rate_hz, f_det, sos, display.at_rate(rate_hz))


class FilterBank:
    """The display filter and the detection filter, fed the same (cleaned) samples.

    ``state`` is the detection filter's ``zi`` (flattened); the display filter keeps its own.
    ``display=False`` leaves the display filter out (an offline analysis that reports no display
    values: holds, alerts and metrics are judged on the detection signal alone); ``process``
    then returns the detection signal in its place.
    """

    def __init__(self, design: FilterDesign, *, display: bool = True) -> None:
        self.design = design
        self.display = OneEuroFilter(design.rate_hz, design.display) if display else None
        self._cascade = SosCascade(design.detect_sos)
        self.state: np.ndarray | None = None

    def restart(self) -> None:
        """Forget both states; the next block starts them at its first sample (after a gap)."""
        self.state = None
        if self.display is not None:
            self.display.state = None

    def reset(self, x0: float) -> None:
        """Start as if the input had always been ``x0`` (no start-up transient)."""
        self.state = self._cascade.steady * x0
        if self.display is not None:
            self.display.reset(x0)

    def initial_state(self, x0: float) -> np.ndarray:
        """The detection ``zi`` that ``reset(x0)`` sets, for checking against ``sosfilt``."""
        return (self._cascade.steady * x0).reshape(-1, 2)

    def process(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Filter one block (state carried); returns (display, detect)."""
        if x.size == 0:
            return x.copy(), x.copy()
        if self.state is None:
            self.reset(float(x[0]))
        assert self.state is not None
        detect, self.state = self._cascade.filter(x, self.state)
        display = detect if self.display is None else self.display.process(x)
        z = self.state
        if not (float(_max(z)) < STATE_LIMIT and float(_min(z)) > -STATE_LIMIT):  # NaN fails too
            return self._recover(x, display, detect)
        return display, detect

    def _recover(
        self, x: np.ndarray, disp: np.ndarray, det: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The state overflowed: outputs that are not finite become the input, and the filters
        restart from the block's last input, so the next block is clean (never NaN forever)."""
        same = disp is det
        disp, det = disp.copy(), det.copy()
        for y in (disp, det):
            bad = ~np.isfinite(y) | (np.abs(y) > STATE_LIMIT)
            y[bad] = x[bad]
        last = float(x[-1])
        if math.isfinite(last) and abs(last) <= STATE_LIMIT:
            self.reset(last)
        else:
            self.restart()  # the next block's first sample restarts them
        return (det if same else disp), det


class GlitchGuard:
    """Causal single-sample glitch rejection with a two-sample look-behind carried across blocks.

    A sample farther than ``threshold`` from the median of itself and the two raw samples before
    it is replaced by that median. A lone spike is always rejected; a genuine step larger than the
    threshold is merely delayed by one sample (the next median already agrees with it). Clean
    signals pass unchanged. Non-finite values, and finite ones beyond ``MAX_FORCE_N``, are always
    replaced (by the last good value): its look-behind, and the filters after it, never hold them.
    """

    def __init__(self) -> None:
        self._h0: float | None = None  # the two previous raw (finite) samples
        self._h1: float | None = None

    def reset(self) -> None:
        self._h0 = self._h1 = None

    def clean(self, x: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray | None]:
        """Return (cleaned, indices of replaced samples or None)."""
        h0, h1 = self._h0, self._h1
        if h0 is not None and h1 is not None:
            # every sample within the threshold of its predecessor ⇒ none is a glitch (the
            # median lies between the predecessor and the sample); NaN fails these comparisons.
            # The range says so at once for most blocks; one that holds a whole press (offline)
            # needs the steps themselves, still far cheaper than the careful pass
            hi, lo = float(_max(x)), float(_min(x))
            if (
                lo >= -MAX_FORCE_N
                and hi <= MAX_FORCE_N
                and (
                    (hi - lo <= threshold and hi - h1 <= threshold and h1 - lo <= threshold)
                    or float(_max(np.abs(np.diff(x, prepend=h1)))) <= threshold
                )
            ):
                if x.size >= 2:
                    self._h0, self._h1 = float(x[-2]), float(x[-1])
                else:
                    self._h0, self._h1 = h1, float(x[0])
                return x, None
        return self._careful(x, threshold)

    def _careful(self, x: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray | None]:
        hist = [h for h in (self._h0, self._h1) if h is not None]
        raw = x.copy()
        bad = ~(np.abs(raw) <= MAX_FORCE_N)  # NaN compares False: caught too
        if bad.any():  # forward-fill from the last good value (0 if there is none)
            prev = hist[-1] if hist else 0.0
            for i in np.flatnonzero(bad):
                raw[i] = raw[i - 1] if i > 0 else prev
        ext = np.concatenate((hist, raw))
        lead = len(hist)
        out = raw.copy()
        replaced = bad.copy()
        if ext.size >= 3:
            a, b, c = ext[:-2], ext[1:-1], ext[2:]
            med = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
            win = slice(2 - lead, None)  # samples of x with a full three-sample window
            cur = raw[win]
            glitch = np.abs(cur - med) > threshold
            if glitch.any():
                out[win] = np.where(glitch, med, cur)
                replaced[win] |= glitch
        if ext.size >= 2:
            self._h0, self._h1 = float(ext[-2]), float(ext[-1])
        else:
            self._h0, self._h1 = None, float(ext[-1])
        idx = np.flatnonzero(replaced)
        return out, (idx if idx.size else None)


def glitch_threshold(target_n: float) -> float:
    """Jumps beyond this are not force: the target itself, at least 20 N."""
    return max(GLITCH_FLOOR_N, target_n)
