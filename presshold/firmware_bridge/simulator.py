"""A seeded model of a therapist's hand on a load cell, seen through a virtual HX711.

Pure: ``HandModel.samples(n)`` returns the next ``n`` samples at the configured rate; the same seed
gives the same trace. Cycle: rest -> ramp to target (5-15 N/s) -> hold with 8-12 Hz tremor, slow
voluntary wander (< 4 Hz) and drift, occasional overshoots and slips -> release -> rest.
Hold length is around the configured hold time, sometimes broken early. Rarely a one-sample glitch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIM_OFFSET_RAW = 84_000.0
SIM_SCALE_N_PER_RAW = 1.0 / 2_150.0  # ~2150 counts per newton, HX711-like at gain 128
SIM_NOISE_RAW = 40.0
PTY_SIM_SENSOR = "sim-hand"
"""Hello name of ``presshold simulate --pty``; like ``--source sim`` it starts calibrated."""


@dataclass(frozen=True, slots=True)
class HandStyle:
    """How one simulated therapist differs from another (``--source sim:N`` starts N of them):
    multipliers on tremor, on slow wander and on the rate of overshoots and slips."""

    tremor: float = 1.0
    wander: float = 1.0
    slips: float = 1.0


STYLES = (
    HandStyle(),
    HandStyle(tremor=0.6, wander=0.7, slips=0.5),  # a steady, experienced hand
    HandStyle(tremor=1.6, wander=1.4, slips=1.8),  # a shaky beginner
    HandStyle(tremor=1.0, wander=1.8, slips=1.0),  # drifts slowly
    HandStyle(tremor=1.3, wander=0.8, slips=2.5),  # overshoots and slips often
)


@dataclass(slots=True)
class HandTarget:
    target_n: float = 30.0
    tolerance_n: float = 5.0
    hold_s: float = 8.0


class HandModel:
    """Generates raw counts, sample by sample, with a small phase state machine."""

    def __init__(
        self,
        rate_hz: float = 80.0,
        seed: int = 0,
        target: HandTarget | None = None,
        style: HandStyle | None = None,
    ):
        if not 10.0 <= rate_hz <= 1000.0:
            raise ValueError("simulator rate must be 10-1000 Hz")
        self.rate_hz = float(rate_hz)
        self.target = target or HandTarget()
        self.style = style or HandStyle()
        self._rng = np.random.default_rng(seed)
        self._t = 0.0
        self._force = 0.0
        self._phase = "rest"
        self._left = 1.5
        self._ramp = 10.0
        self._aim = self.target.target_n
        self._trem_f = 10.0
        self._wander_f = 0.5
        self._drift = 0.0
        self._event = 0.0
        self._cue: str | None = None

    def cue(self, what: str | None) -> None:
        """Follow a trainer run's cues (``"press"``, ``"hold"``, ``"release"``, ``"rest"``;
        ``None`` = free running again): rest until asked to press, press after a reaction time,
        release soon after being asked, never press again uncued. Called from another thread:
        one attribute write at a time, and the worst a race does is shift one press by one
        batch."""
        self._cue = what
        r = self._rng
        if what == "press" and self._phase == "rest":
            self._left = r.uniform(0.3, 0.9)  # reaction time to the cue
        elif what == "release" and self._phase in ("ramp", "hold"):
            self._phase = "hold"
            self._left = min(self._left, r.uniform(0.2, 0.5))

    def _next_phase(self) -> None:
        r = self._rng
        tgt = self.target
        if self._phase == "rest":
            self._phase, self._ramp = "ramp", r.uniform(5.0, 15.0)
            self._aim = tgt.target_n + r.normal(0, tgt.tolerance_n * 0.3)
            self._trem_f, self._wander_f = r.uniform(8, 12), r.uniform(0.2, 3.5)
            self._drift = r.normal(0, tgt.tolerance_n * 0.05)
        elif self._phase == "ramp":
            self._phase = "hold"
            early = r.random() < 0.25
            self._left = tgt.hold_s * (r.uniform(0.3, 0.8) if early else r.uniform(1.0, 1.3))
        elif self._phase == "hold":
            self._phase = "release"
        else:
            self._phase, self._left = "rest", r.uniform(1.5, 4.0)

    def samples(self, n: int) -> np.ndarray:
        """Next ``n`` raw counts (float64)."""
        dt = 1.0 / self.rate_hz
        out = np.empty(n)
        r = self._rng
        tgt = self.target
        for i in range(n):
            self._t += dt
            if self._phase == "rest":
                self._force = max(0.0, self._force - 20.0 * dt)
                self._left -= dt
                if self._left <= 0 and self._cue in (None, "press"):
                    self._next_phase()
            elif self._phase == "ramp":
                self._force += self._ramp * dt
                if self._force >= self._aim:
                    self._next_phase()
            elif self._phase == "hold":
                self._left -= dt
                self._aim += self._drift * dt
                if (
                    self._event <= 0 and r.random() < 0.15 * self.style.slips * dt
                ):  # overshoot or slip, ~1 per 7 s
                    self._event = r.choice([1.0, -1.0]) * tgt.tolerance_n * r.uniform(1.1, 1.8)
                self._event *= 1.0 - 1.5 * dt if abs(self._event) > 0.05 else 0.0
                wander = (
                    0.25
                    * self.style.wander
                    * tgt.tolerance_n
                    * np.sin(2 * np.pi * self._wander_f * self._t)
                )
                self._force += (self._aim + self._event + wander - self._force) * min(1.0, 6 * dt)
                if self._left <= 0:
                    self._next_phase()
            else:
                self._force -= self._ramp * 2 * dt
                if self._force <= 0:
                    self._force = 0.0
                    self._next_phase()
            tremor = 0.0
            if self._force > 0:
                tremor = (
                    0.02
                    * self.style.tremor
                    * self._force
                    * np.sin(2 * np.pi * self._trem_f * self._t)
                )
            raw = SIM_OFFSET_RAW + (self._force + tremor) / SIM_SCALE_N_PER_RAW
            raw += r.normal(0, SIM_NOISE_RAW)
            if r.random() < 0.02 * dt:  # rare single-sample glitch (e.g. a bad HX711 read)
                raw = float(r.choice([0.0, 8_388_607.0, -8_388_608.0]))
            out[i] = raw
        return out
