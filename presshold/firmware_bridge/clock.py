"""Map device time (``micros()``) onto the host's ``time.monotonic()`` seconds.

Device timestamps carry the exact sample spacing; the host clock says when a reading really
arrived. ``DeviceClock`` keeps the spacing and tracks the offset between the two clocks along the
lower envelope of (arrival - device time): serial latency only ever delays arrival, so the smallest
observed difference is the best estimate of the true offset. The offset may rise by at most ``SLEW``
(1 %) of elapsed host time, which absorbs a slow crystal or ceramic resonator (±0.5 %) without
letting a late batch drag later readings behind. It falls at once when a reading arrives "earlier"
than predicted, so a stamp never lies in the future (beyond the microseconds needed to keep order):
a fast device clock, a corrupted timestamp far ahead, or a missed reset all stay pinned to the
arrival time. Stamps are strictly increasing across the whole life of the clock, including
reconnects and device resets.
"""

from __future__ import annotations

import numpy as np

SLEW = 0.01
MIN_STEP_S = 1e-6


class DeviceClock:
    def __init__(self) -> None:
        self._offset: float | None = None
        self._last_device_s: float | None = None
        self._last_now = 0.0
        self.last_t_s = float("-inf")

    def reanchor(self) -> None:
        """Forget the offset (new connection, device reset): the next batch sets it afresh."""
        self._offset = None
        self._last_device_s = None

    def stamp(self, t_us: np.ndarray, now: float) -> np.ndarray:
        """Host seconds for strictly increasing device microseconds that arrived by ``now``."""
        device_s = np.asarray(t_us, dtype=np.int64) / 1e6
        observed = now - float(device_s[-1])
        if self._offset is None:
            offset = observed
        else:
            offset = min(self._offset + SLEW * max(0.0, now - self._last_now), observed)
        t_s = device_s + offset
        if t_s[0] <= self.last_t_s:  # the offset fell (or re-anchored): never step back in time
            t_s = np.maximum(t_s, self._squeezed(device_s, now))
        self._offset, self._last_now = offset, now
        self._last_device_s = float(device_s[-1])
        self.last_t_s = float(t_s[-1])
        return t_s

    def _squeezed(self, device_s: np.ndarray, now: float) -> np.ndarray:
        """Stamps between the last one and ``now`` that keep the device's spacing, scaled down
        evenly when the readings span more device time than that window (a backlog arriving in
        a burst) — rather than piling the overlap up 1 µs apart."""
        n = len(device_s)
        last = self._last_device_s
        if last is not None and device_s[0] > last:
            gap = device_s[0] - last
        else:  # first batch after a re-anchor: the device's own spacing, if it shows one
            gap = float(np.median(np.diff(device_s))) if n > 1 else MIN_STEP_S
        rel = device_s - device_s[0] + max(gap, MIN_STEP_S)
        room = max(now - self.last_t_s, n * MIN_STEP_S)
        squeezed = self.last_t_s + rel * min(1.0, room / float(rel[-1]))
        return np.maximum(squeezed, self.last_t_s + MIN_STEP_S * np.arange(1, n + 1))

    def stamp_arrival(self, n: int, now: float) -> np.ndarray:
        """``n`` readings with no device time (Serial-Plotter lines): stamped on arrival."""
        start = max(now, self.last_t_s + MIN_STEP_S)
        t_s = start + np.arange(n) * MIN_STEP_S
        self.last_t_s = float(t_s[-1])
        return t_s
