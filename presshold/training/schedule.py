"""A protocol expanded into the trials a run will ask for, with what each trial shows.

Why a separate pure step: the run state machine, the live page and the reports all need to know,
for trial *k*, the target, the band and whether its force is shown live, after release or only
at the end. Faded feedback is decided here once, deterministically, so a run can be replayed and
a report can say which reps were seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from presshold.training.protocols import ProtocolBody, Step

Reveal = str  # "live" | "after" (after release) | "end" (at the end of the protocol)


@dataclass(frozen=True, slots=True)
class TrialPlan:
    """One trial of a run. ``index`` counts from 0 over the whole protocol."""

    index: int
    step: int  # 0-based step index
    rep: int  # 1-based rep within the step
    reps: int
    step_def: Step
    feedback: str  # the step's mode: full | after | blind | faded
    shown: bool  # the force is shown live during this trial
    reveal: Reveal  # when this trial's result is shown to the student

    @property
    def hidden(self) -> bool:
        return not self.shown


def faded_shown(reps: int, fade_pct: tuple[float, ...]) -> list[bool]:
    """Which reps show live feedback under a fade schedule.

    The reps are cut into ``len(fade_pct)`` consecutive blocks as equal as possible (the first
    blocks take the remainder); in a block of ``n`` reps at ``p`` % the shown reps are spread
    evenly (rep ``i`` is shown when ``floor((i+1)·p/100)`` steps up), so 50 % of 4 is
    hidden-shown-hidden-shown rather than two shown then two hidden.
    """
    blocks = len(fade_pct)
    base, extra = divmod(reps, blocks)
    shown: list[bool] = []
    for b, pct in enumerate(fade_pct):
        n = base + (1 if b < extra else 0)
        for i in range(n):
            shown.append(math.floor((i + 1) * pct / 100 + 1e-9) > math.floor(i * pct / 100 + 1e-9))
    return shown


def plan(protocol: ProtocolBody) -> list[TrialPlan]:
    """Every trial of ``protocol`` in order."""
    trials: list[TrialPlan] = []
    for s, step in enumerate(protocol.steps):
        if step.feedback == "faded":
            shown = faded_shown(step.reps, step.fade)
        else:
            shown = [step.feedback == "full"] * step.reps
        for r in range(step.reps):
            if shown[r]:
                reveal = "live"
            elif step.feedback == "blind":
                reveal = "end"
            else:  # "after", and the hidden reps of "faded": shown once released
                reveal = "after"
            trials.append(
                TrialPlan(len(trials), s, r + 1, step.reps, step, step.feedback, shown[r], reveal)
            )
    return trials
