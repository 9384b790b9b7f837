"""A seeded model of a therapist's hand on a load cell, seen through a virtual HX711.

Pure: ``HandModel.samples(n)`` returns the next ``n`` samples at the configured rate; the same seed
gives the same trace. The hand follows a *setpoint* through one treatment cycle after another:

rest → ramp to the target (about half the target per second) → [overshoot past the band, then
settle] → hold in the band with 8-12 Hz tremor, slow voluntary wander (< 4 Hz) and a drift it
keeps correcting → [a slip below the band, then recover] → a decisive release → rest.

Everything is scaled to the band it is given, so at any sensible target and tolerance a demo shows
the whole cycle within a minute (issue 11): the first cycle reaches the band after a brief
overshoot (an over alert), holds past the hold time (complete) and releases; the second slips once
(an under alert) after completing. Later cycles draw overshoots and slips at random, and now and
then release early. Rarely a one-sample glitch (a bad HX711 read).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIM_OFFSET_RAW = 84_000.0
SIM_SCALE_N_PER_RAW = 1.0 / 2_150.0  # ~2150 counts per newton, HX711-like at gain 128
SIM_NOISE_RAW = 40.0
PTY_SIM_SENSOR = "sim-hand"
"""Hello name of ``presshold simulate --pty``; like ``--source sim`` it starts calibrated."""

FOLLOW_S = 0.08  # the hand follows its setpoint with this time constant
GLITCH_PER_S = 0.02  # rare single-sample glitches
CHANCE_OVERSHOOT, CHANCE_SLIP, CHANCE_EARLY = 0.3, 0.3, 0.12  # per cycle, after the first two


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


@dataclass(slots=True)
class _Cycle:
    """What the next press will do (drawn when it starts)."""

    aim_n: float
    ramp_n_per_s: float
    release_n_per_s: float
    overshoot_n: float | None  # setpoint of an overshoot on the way up, held ``event_s``
    slip_n: float | None  # setpoint of a slip after the hold completed, held ``event_s``
    event_s: float
    hold_s: float  # time in the band before release (or before the slip)


class HandModel:
    """Generates raw counts, sample by sample, with a small phase state machine.

    ``phase`` is the phase of the last generated sample (``rest``, ``ramp``, ``overshoot``,
    ``hold``, ``slip``, ``recover``, ``release``) — tests use it to tell a slip from a release.
    """

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
        self._target = target or HandTarget()
        self.style = style or HandStyle()
        self._rng = np.random.default_rng(seed)
        self._t = 0.0
        self._force = 0.0
        self._set = 0.0  # the setpoint the hand follows
        self.phase = "rest"
        self._left = 1.0  # seconds left in the current phase
        self._cycles = 0
        self._cycle = self._draw_cycle()
        self._trem_f = 10.0
        self._wander_f = 0.5
        self._drift = 0.0  # N/s the aim wanders by, corrected by the hand
        self._offset = 0.0
        self._cue: str | None = None

    def cue(self, what: str | None) -> None:
        """Follow a trainer run's cues (``"press"``, ``"hold"``, ``"release"``, ``"rest"``;
        ``None`` = free running again): rest until asked to press, press after a reaction time,
        release soon after being asked, never press again uncued. Called from another thread:
        one attribute write at a time, and the worst a race does is shift one press by one
        batch."""
        self._cue = what
        r = self._rng
        if what == "press" and self.phase == "rest":
            self._left = r.uniform(0.3, 0.9)  # reaction time to the cue
        elif what == "release" and self.phase in ("ramp", "overshoot", "hold", "slip", "recover"):
            self.phase = "hold"  # finish the hold a moment later, then release
            self._cycle.slip_n = None  # no slip planned after the cue to let go
            self._left = min(self._left, r.uniform(0.2, 0.5))

    @property
    def target(self) -> HandTarget:
        return self._target

    @target.setter
    def target(self, target: HandTarget) -> None:
        """New settings: the press in progress is re-planned for them (the cycle number stays, so
        a demo whose settings arrive after start still opens with the full cycle)."""
        self._target = target
        self._cycle = self._draw_cycle()

    # ---- the plan of one press
    def _draw_cycle(self) -> _Cycle:
        r, tgt = self._rng, self.target
        tol = tgt.tolerance_n
        lo, hi = tgt.target_n - tol, tgt.target_n + tol
        n = self._cycles
        over = n == 0 or (n > 1 and r.random() < min(0.9, CHANCE_OVERSHOOT * self.style.slips))
        slip = n == 1 or (
            n > 1 and not over and r.random() < min(0.9, CHANCE_SLIP * self.style.slips)
        )
        early = n > 1 and not slip and r.random() < CHANCE_EARLY
        hold = tgt.hold_s * (r.uniform(0.35, 0.75) if early else r.uniform(1.05, 1.2)) + 0.6
        slip_n = max(lo - tol * r.uniform(0.5, 1.0), 0.68 * tgt.target_n) if slip else None
        return _Cycle(
            aim_n=tgt.target_n + float(np.clip(r.normal(0, 0.15), -0.35, 0.35)) * tol,
            ramp_n_per_s=tgt.target_n * r.uniform(0.35, 0.6),
            release_n_per_s=tgt.target_n * r.uniform(1.0, 2.5),
            overshoot_n=hi + tol * r.uniform(0.5, 1.0) if over else None,
            slip_n=slip_n if slip_n is not None and slip_n < lo else None,
            event_s=r.uniform(1.0, 1.5),
            hold_s=hold,
        )

    def _enter(self, phase: str) -> None:
        r, c = self._rng, self._cycle
        self.phase = phase
        if phase == "ramp":
            self._trem_f, self._wander_f = r.uniform(8, 12), r.uniform(0.2, 3.5)
            self._drift = r.normal(0, 0.03) * self.target.tolerance_n
            self._offset = 0.0
        elif phase in ("overshoot", "slip"):
            self._left = c.event_s
        elif phase == "hold":
            self._left = c.hold_s if self._cue != "release" else min(c.hold_s, 0.3)
        elif phase == "recover":
            self._left = r.uniform(1.5, 3.0)
        elif phase == "rest":
            self._left = r.uniform(1.5, 3.0)
            self._cycles += 1
            self._cycle = self._draw_cycle()

    def _step_setpoint(self, dt: float) -> None:
        c, tgt = self._cycle, self.target
        ph = self.phase
        if ph == "rest":
            self._set = 0.0
            self._left -= dt
            if self._left <= 0 and self._cue in (None, "press"):  # a run's hand waits for its cue
                self._enter("ramp")
        elif ph == "ramp":
            peak = c.overshoot_n if c.overshoot_n is not None else c.aim_n
            self._set = min(peak, self._set + c.ramp_n_per_s * dt)
            if self._set >= peak:
                self._enter("overshoot" if c.overshoot_n is not None else "hold")
        elif ph == "overshoot":
            self._left -= dt
            if self._left <= 0:
                self._enter("hold")
        elif ph in ("hold", "recover"):
            # a slow drift the hand notices and corrects (bounded at ~0.2 × tolerance)
            self._offset += (self._drift - 0.3 * self._offset) * dt
            goal = c.aim_n + self._offset
            self._set += (goal - self._set) * min(1.0, 2.5 * dt)  # settling after an event
            self._left -= dt
            if self._left <= 0:
                nxt = "slip" if ph == "hold" and c.slip_n is not None else "release"
                self._enter(nxt)
        elif ph == "slip":
            assert c.slip_n is not None
            self._set = max(c.slip_n, self._set - tgt.target_n * 1.5 * dt)
            self._left -= dt
            if self._left <= 0:
                self._enter("recover")
        else:  # release
            self._set = max(0.0, self._set - c.release_n_per_s * dt)
            if self._set <= 0 and self._force < 0.02 * tgt.target_n:
                self._enter("rest")

    def samples(self, n: int) -> np.ndarray:
        """Next ``n`` raw counts (float64)."""
        dt = 1.0 / self.rate_hz
        out = np.empty(n)
        r = self._rng
        follow = min(1.0, dt / FOLLOW_S)
        for i in range(n):
            self._t += dt
            self._step_setpoint(dt)
            self._force += (self._set - self._force) * follow
            if self.phase == "release" or self.phase == "rest":
                self._force = min(self._force, self._set + 0.05 * self.target.target_n)
            force = max(self._force, 0.0)
            scale = min(1.0, force / self.target.target_n)
            wander = (
                0.12
                * self.style.wander
                * self.target.tolerance_n
                * scale
                * np.sin(2 * np.pi * self._wander_f * self._t)
            )
            tremor = 0.02 * self.style.tremor * force * np.sin(2 * np.pi * self._trem_f * self._t)
            raw = SIM_OFFSET_RAW + (force + wander + tremor) / SIM_SCALE_N_PER_RAW
            raw += r.normal(0, SIM_NOISE_RAW)
            if r.random() < GLITCH_PER_S * dt:  # rare single-sample glitch (a bad HX711 read)
                raw = float(r.choice([0.0, 8_388_607.0, -8_388_608.0]))
            out[i] = raw
        return out
