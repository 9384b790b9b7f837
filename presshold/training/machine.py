"""The run state machine: which trial, which phase, and when a trial ends — driven by the hold
detector's events and the clock, with no I/O (the server's ``RunService`` feeds it).

Phases of each trial (docs/trainer.md): ``rest`` (a countdown; a trial never starts while the
student is still pressing) → ``press`` (the cue) → ``hold`` → ``release`` → the next ``rest``,
and ``done`` after the last trial.

Shown trials move on the detector's events: ``hold_start`` (in the band) → ``hold``,
``hold_complete`` → ``release``. Hidden trials must not let the force leak through the phase:
reaching the band changes nothing; they move by the clock — ``hold`` from the press start (a
press the student knows they made), ``release`` ``hold_s`` later. Any trial ends at the release
(or a timeout), and is scored on its window of the detection signal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from presshold.training.protocols import ProtocolBody
from presshold.training.schedule import TrialPlan, plan
from presshold.training.scoring import Reference, TrialMetrics, score_trial

LEAD_IN_S = 3.0  # countdown before the first trial
PRESS_TIMEOUT_S = 15.0  # no press this long after the cue: the trial ends unpressed
RELEASE_TIMEOUT_S = 10.0  # the release cue was ignored this long: the trial ends anyway
PRESS_LIMIT_EXTRA_S = 20.0  # a shown press that never reaches the band ends after hold_s + this


@dataclass
class FinishedTrial:
    """A trial that just ended: its plan, its window (monotonic seconds) and its result."""

    plan: TrialPlan
    started_t: float
    ended_t: float
    end_reason: str
    t_s: np.ndarray  # the window's sample times (monotonic)
    force_n: np.ndarray  # detection signal over the window
    metrics: TrialMetrics


@dataclass
class Output:
    """What one call of the machine produced, for the service to broadcast and store."""

    started: list[TrialPlan] = field(default_factory=list)
    finished: list[FinishedTrial] = field(default_factory=list)
    phase_changed: bool = False
    step_changed: TrialPlan | None = None  # apply this trial's step settings
    done: bool = False


class RunMachine:
    """One run of a protocol on one station (module docstring)."""

    def __init__(
        self,
        protocol: ProtocolBody,
        now: float,
        references: dict[str, Reference] | None = None,
        lead_in_s: float = LEAD_IN_S,
    ) -> None:
        self.protocol = protocol
        self.plans = plan(protocol)
        self.references = references or {}
        self.index = 0
        self.phase = "rest"
        self.phase_t = now
        self.rest_until = now + lead_in_s
        self.trial_t: float | None = None
        self.press_t: float | None = None
        self.pressing = False
        self._t: list[np.ndarray] = []
        self._f: list[np.ndarray] = []
        self.finished: list[FinishedTrial] = []

    # --- state --------------------------------------------------------------------------
    @property
    def current(self) -> TrialPlan | None:
        return self.plans[self.index] if self.index < len(self.plans) else None

    @property
    def hidden(self) -> bool:
        """The force is withheld from the station's viewers now (during a hidden trial and the
        rest before it: pressing during the rest must not let a student calibrate)."""
        cur = self.current
        return cur is not None and cur.hidden and self.phase != "done"

    def countdown_s(self, now: float) -> float | None:
        cur = self.current
        if self.phase == "rest":
            return max(0.0, self.rest_until - now)
        if self.phase == "hold" and cur is not None and cur.hidden and self.press_t is not None:
            return max(0.0, self.press_t + cur.step_def.hold_s - now)
        return None

    # --- inputs -------------------------------------------------------------------------
    def on_block(
        self, t_s: np.ndarray, detect_n: np.ndarray, events: list[tuple[str, float]]
    ) -> Output:
        """Samples (monotonic seconds, detection signal) and the detector's events for them."""
        out = Output()
        if self.phase in ("press", "hold", "release"):
            self._t.append(np.asarray(t_s, dtype=float))
            self._f.append(np.asarray(detect_n, dtype=float))
        for kind, t in events:
            if kind == "press_start":
                self.pressing = True
            elif kind == "release":
                self.pressing = False
            self._event(kind, t, out)
        return out

    def tick(self, now: float) -> Output:
        """The clock: rest countdowns, hidden holds, timeouts."""
        out = Output()
        cur = self.current
        if cur is None or self.phase == "done":
            return out
        step = cur.step_def
        if self.phase == "rest" and now >= self.rest_until and not self.pressing:
            self._start_trial(now, out)
        elif self.phase == "press":
            limit = PRESS_TIMEOUT_S
            if self.press_t is not None:  # pressing, but (shown) not in the band yet
                limit = self.press_t - (self.trial_t or now) + step.hold_s + PRESS_LIMIT_EXTRA_S
            if now - self.phase_t >= limit:
                self._end_trial(now, "no press" if self.press_t is None else "timeout", out)
        elif self.phase == "hold" and cur.hidden and self.press_t is not None:
            if now >= self.press_t + step.hold_s:
                self._set_phase("release", now, out)
        elif self.phase == "release" and now - self.phase_t >= RELEASE_TIMEOUT_S:
            self._end_trial(now, "timeout", out)
        return out

    def stop(self, now: float) -> Output:
        """The trainer ended the run: a trial in progress is scored as it stands."""
        out = Output()
        if self.phase in ("press", "hold", "release"):
            self._end_trial(now, "stopped", out, advance=False)
        self.phase = "done"
        self.index = len(self.plans)
        out.done = out.phase_changed = True
        return out

    # --- transitions ----------------------------------------------------------------------
    def _set_phase(self, phase: str, now: float, out: Output) -> None:
        self.phase, self.phase_t = phase, now
        out.phase_changed = True

    def _start_trial(self, now: float, out: Output) -> None:
        cur = self.current
        assert cur is not None
        self.trial_t, self.press_t = now, None
        self._t, self._f = [], []
        self._set_phase("press", now, out)
        out.started.append(cur)

    def _event(self, kind: str, t: float, out: Output) -> None:
        cur = self.current
        if cur is None or self.phase not in ("press", "hold", "release"):
            return
        if kind == "press_start" and self.press_t is None:
            self.press_t = t
            if cur.hidden:
                self._set_phase("hold", t, out)
        elif kind == "hold_start" and cur.shown and self.phase == "press":
            self._set_phase("hold", t, out)
        elif kind == "hold_complete" and cur.shown and self.phase == "hold":
            self._set_phase("release", t, out)
        elif kind == "release" and self.press_t is not None:
            reason = "released" if self.phase == "release" else "released early"
            self._end_trial(t, reason, out)

    def _end_trial(self, now: float, reason: str, out: Output, advance: bool = True) -> None:
        cur = self.current
        assert cur is not None and self.trial_t is not None
        t = np.concatenate(self._t) if self._t else np.empty(0)
        f = np.concatenate(self._f) if self._f else np.empty(0)
        keep = (t >= self.trial_t) & (t <= now)
        t, f = t[keep], f[keep]
        step = cur.step_def
        ref = self.references.get(step.reference_id) if step.reference_id else None
        # the window starts at the cue: prepend the cue time so times count from it
        metrics = score_trial(
            np.concatenate(([self.trial_t], t)) if t.size else t,
            np.concatenate(([f[0]], f)) if f.size else f,
            target_n=step.target_n,
            half_width_n=step.band_half_width,
            hold_s=step.hold_s,
            ramp_n_per_s=step.ramp_n_per_s,
            reference=ref,
            hold_from="band" if cur.shown else "press",
        )
        done = FinishedTrial(cur, self.trial_t, now, reason, t, f, metrics)
        self.finished.append(done)
        out.finished.append(done)
        self._t, self._f = [], []
        self.trial_t = self.press_t = None
        if not advance:
            return
        self.index += 1
        nxt = self.current
        if nxt is None:
            self._set_phase("done", now, out)
            out.done = True
            return
        if nxt.step != cur.step:
            out.step_changed = nxt
        self.rest_until = now + nxt.step_def.rest_s
        self._set_phase("rest", now, out)

    # --- views --------------------------------------------------------------------------
    def view(self, now: float) -> dict[str, Any]:
        """The live ``run`` field's protocol part (the service adds ids and time bases)."""
        cur = self.current
        last = self.plans[-1]
        p = cur or last
        step = p.step_def
        return {
            "step": p.step + 1,
            "steps": len(self.protocol.steps),
            "rep": p.rep,
            "reps": p.reps,
            "trial": min(self.index + 1, len(self.plans)),
            "trials": len(self.plans),
            "trials_done": len(self.finished),
            "phase": self.phase,
            "countdown_s": _round(self.countdown_s(now)),
            "feedback": step.feedback,
            "shown": not self.hidden,
            "target_n": step.target_n,
            "band_n": list(step.band),
            "hold_s": step.hold_s,
            "ramp_n_per_s": step.ramp_n_per_s,
            "reference_id": step.reference_id,
            "waiting_release": self.phase == "rest" and self.pressing and now >= self.rest_until,
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)
