"""The client on the simulated table: holds the patient button and presses it when the pressure
reaches their threshold, as a client does in a pressure-pain-threshold test.

Used by ``--source sim`` and ``presshold simulate --pty --button-at N``, so the button path
(protocol field, station, dashboard cue, threshold capture) can be tried without hardware. Pure:
forces in, button changes out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

RELEASE_FRACTION = 0.5
"""The button is let go once the force falls below half the threshold (the probe comes off):
hysteresis, so a force hovering at the threshold gives one press, not a chatter of them."""
TAP_S = 0.3
"""How long a requested tap (:meth:`SimulatedClient.tap`) holds the button down."""


@dataclass
class SimulatedClient:
    threshold_n: float | None = None
    """Press when the force reaches this; None: only taps."""
    pressed: bool = False
    _at_threshold: bool = False
    _armed: bool = False
    """The force has been below the release level since the last press: a client presses as the
    pressure rises through their threshold, not when it is set while the probe already presses
    harder (that would be no threshold at all)."""
    _tap_until: float | None = None
    _tap_requested: bool = False
    _recent: list[float] = field(default_factory=list)
    """The last three readings: the client feels force, not a sensor's one-sample spike, so
    decisions use their median."""

    def tap(self) -> None:
        """Press briefly at the next sample (the client signalling "stop")."""
        self._tap_requested = True

    def feed(self, t_s: np.ndarray, force_n: np.ndarray) -> list[tuple[float, bool]]:
        """Button changes caused by these samples: ``(t_s of the sample, pressed)``."""
        changes: list[tuple[float, bool]] = []
        thr = self.threshold_n
        for t, reading in zip(t_s.tolist(), force_n.tolist(), strict=True):
            self._recent = [*self._recent[-2:], reading]
            f = sorted(self._recent)[len(self._recent) // 2]
            if self._tap_requested:
                self._tap_requested, self._tap_until = False, t + TAP_S
            if self._tap_until is not None and t >= self._tap_until:
                self._tap_until = None
            if thr is None:
                self._at_threshold = False
            elif f < thr * RELEASE_FRACTION:
                self._at_threshold, self._armed = False, True
            elif f >= thr and self._armed:
                self._at_threshold, self._armed = True, False
            want = self._at_threshold or self._tap_until is not None
            if want != self.pressed:
                self.pressed = want
                changes.append((t, want))
        return changes
