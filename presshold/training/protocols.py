"""Protocols: a named list of steps, each a block of trials at one target with one feedback mode.

Why pydantic here (as in :mod:`presshold.treatment`): a protocol arrives as JSON from the API or
an imported file, and a trainer needs a ``422`` that names the field and the reason, e.g.
``steps.1.tolerance_pct: must be less than 100``. The built-ins are plain instances, read-only.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

Feedback = Literal["full", "after", "blind", "faded"]
FEEDBACK_MODES: tuple[str, ...] = ("full", "after", "blind", "faded")
DEFAULT_FADE_PCT = (100.0, 50.0, 0.0)
MAX_STEPS = 50
MAX_REPS = 100


class Step(BaseModel):
    """One block of ``reps`` trials at one target (docs/trainer.md)."""

    model_config = ConfigDict(extra="forbid")

    target_n: float = Field(gt=0, le=2000, description="target force, newtons")
    tolerance_n: float | None = Field(None, gt=0, le=1000, description="band half-width, N")
    tolerance_pct: float | None = Field(
        None, gt=0, lt=100, description="band half-width as % of the target"
    )
    hold_s: float = Field(gt=0, le=600, description="seconds to hold (in band) per trial")
    rest_s: float = Field(5.0, ge=0, le=600, description="rest before each trial")
    reps: int = Field(1, ge=1, le=MAX_REPS)
    ramp_n_per_s: float | None = Field(
        None, gt=0, le=500, description="asked rate of application, N/s (a moving target line)"
    )
    feedback: Feedback = "full"
    fade_pct: list[float] | None = Field(
        None,
        min_length=1,
        max_length=MAX_REPS,
        description='"faded": % of reps shown per equal block of reps, e.g. [100, 50, 0]',
    )
    reference_id: str | None = Field(None, max_length=64, description="an expert's trace")

    @model_validator(mode="after")
    def _check(self) -> Self:
        if (self.tolerance_n is None) == (self.tolerance_pct is None):
            raise ValueError("give exactly one of tolerance_n or tolerance_pct")
        if self.band_half_width >= self.target_n:
            raise ValueError(
                f"the band reaches 0 N (target {self.target_n:g} N ± "
                f"{self.band_half_width:g} N): the tolerance must be smaller than the target"
            )
        if self.fade_pct is not None:
            if self.feedback != "faded":
                raise ValueError('fade_pct is only for feedback "faded"')
            if any(not 0 <= p <= 100 for p in self.fade_pct):
                raise ValueError("fade_pct: each share must be 0-100 (%)")
            if len(self.fade_pct) > self.reps:
                raise ValueError(
                    f"fade_pct has {len(self.fade_pct)} blocks but the step has {self.reps} reps"
                )
        return self

    @property
    def band_half_width(self) -> float:
        if self.tolerance_pct is not None:
            return self.target_n * self.tolerance_pct / 100
        assert self.tolerance_n is not None
        return self.tolerance_n

    @property
    def band(self) -> tuple[float, float]:
        h = self.band_half_width
        return (self.target_n - h, self.target_n + h)

    @property
    def fade(self) -> tuple[float, ...]:
        return tuple(self.fade_pct) if self.fade_pct is not None else DEFAULT_FADE_PCT


class ProtocolBody(BaseModel):
    """What a trainer writes (POST/PUT body, an imported file)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    description: str = Field("", max_length=2000)
    steps: list[Step] = Field(min_length=1, max_length=MAX_STEPS)
    pass_score: float = Field(70.0, ge=0, le=100, description="a trial passes at this score")
    pass_share: float = Field(
        0.8, gt=0, le=1, description="the protocol passes when this share of trials pass"
    )

    @property
    def trials(self) -> int:
        return sum(s.reps for s in self.steps)


class Protocol(ProtocolBody):
    """A stored protocol: the body plus its id and whether it is a built-in."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
    builtin: bool = False

    def body(self) -> dict[str, Any]:
        return self.model_dump(exclude={"id", "builtin"}, exclude_none=True)


def slugify(name: str) -> str:
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return text[:48].strip("-") or "protocol"


BUILTINS: tuple[Protocol, ...] = (
    Protocol(
        id="trigger-point-30n",
        name="Trigger point 30 N × 30 s × 3",
        description="Ischemic compression: reach 30 N and hold it in the band for 30 s, "
        "three times, with live feedback.",
        steps=[Step(target_n=30, tolerance_pct=10, hold_s=30, rest_s=10, reps=3)],
        builtin=True,
    ),
    Protocol(
        id="ladder-10-20-30",
        name="Light – medium – firm ladder (10 / 20 / 30 N)",
        description="Three force levels, two holds each: learn to tell them apart.",
        steps=[
            Step(target_n=t, tolerance_pct=15, hold_s=8, rest_s=5, reps=2)
            for t in (10.0, 20.0, 30.0)
        ],
        builtin=True,
    ),
    Protocol(
        id="rate-control-10nps",
        name="Rate control: 10 N/s to 30 N",
        description="Press at the algometry rate of about 10 N/s up to 30 N (a moving line "
        "shows the asked ramp), then hold.",
        steps=[Step(target_n=30, tolerance_pct=10, hold_s=5, rest_s=5, reps=3, ramp_n_per_s=10)],
        builtin=True,
    ),
    Protocol(
        id="blind-test-20n",
        name="Blind test 20 N × 5",
        description="Five holds at 20 N without seeing the force: the result is shown only at "
        "the end. Passes when 4 of 5 trials score 70 or more.",
        steps=[Step(target_n=20, tolerance_pct=15, hold_s=5, rest_s=4, reps=5, feedback="blind")],
        builtin=True,
    ),
)
BUILTIN_IDS = frozenset(p.id for p in BUILTINS)
