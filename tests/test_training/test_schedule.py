"""Protocols expand into trial plans; faded feedback follows the step's stated schedule."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from presshold.training.protocols import BUILTINS, ProtocolBody, Step
from presshold.training.schedule import faded_shown, plan


def test_fade_blocks_spread_the_shown_reps_evenly():
    assert faded_shown(6, (100, 50, 0)) == [True, True, False, True, False, False]
    assert faded_shown(4, (50,)) == [False, True, False, True]
    assert faded_shown(7, (100, 50, 0)) == [True, True, True, False, True, False, False]
    assert faded_shown(3, (100, 0, 100)) == [True, False, True]


def test_plans_say_what_each_trial_shows_and_when_it_is_revealed():
    p = ProtocolBody(
        name="mix",
        steps=[
            Step(target_n=10, tolerance_n=1, hold_s=3, reps=2),
            Step(target_n=20, tolerance_pct=10, hold_s=3, reps=1, feedback="after"),
            Step(target_n=20, tolerance_pct=10, hold_s=3, reps=2, feedback="blind"),
            Step(target_n=30, tolerance_pct=10, hold_s=3, reps=3, feedback="faded",
                 fade_pct=[100, 0]),
        ],
    )  # fmt: skip
    trials = plan(p)
    assert len(trials) == p.trials == 8
    assert [(t.step, t.rep, t.reps) for t in trials[:3]] == [(0, 1, 2), (0, 2, 2), (1, 1, 1)]
    assert [t.reveal for t in trials] == [
        "live", "live", "after", "end", "end", "live", "live", "after",
    ]  # fmt: skip
    assert [t.shown for t in trials] == [True, True, False, False, False, True, True, False]
    assert trials[3].step_def.band == pytest.approx((18.0, 22.0))


def test_builtins_are_the_four_the_issue_names():
    names = {p.name: p for p in BUILTINS}
    assert set(names) == {
        "Trigger point 30 N × 30 s × 3",
        "Light – medium – firm ladder (10 / 20 / 30 N)",
        "Rate control: 10 N/s to 30 N",
        "Blind test 20 N × 5",
    }
    blind = names["Blind test 20 N × 5"]
    assert blind.trials == 5 and blind.steps[0].feedback == "blind" and blind.pass_share == 0.8
    trig = names["Trigger point 30 N × 30 s × 3"].steps[0]
    assert (trig.target_n, trig.hold_s, trig.reps) == (30, 30, 3)
    assert names["Rate control: 10 N/s to 30 N"].steps[0].ramp_n_per_s == 10
    assert [s.target_n for s in names["Light – medium – firm ladder (10 / 20 / 30 N)"].steps] == [
        10, 20, 30,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"tolerance_n": 2}, "exactly one of tolerance_n or tolerance_pct"),
        ({"tolerance_pct": None}, "exactly one of tolerance_n or tolerance_pct"),
        ({"tolerance_pct": 100}, "less than 100"),
        ({"tolerance_pct": None, "tolerance_n": 30}, "band reaches 0 N"),
        ({"hold_s": 0}, "greater than 0"),
        ({"feedback": "faded", "fade_pct": [100, 120]}, "each share must be 0-100"),
        ({"feedback": "faded", "reps": 2, "fade_pct": [100, 50, 0]}, "3 blocks but the step has 2"),
        ({"ramp_n_per_s": -1}, "greater than 0"),
        ({"peek": True}, "Extra inputs are not permitted"),
    ],
)
def test_bad_steps_say_which_field_and_why(step: dict, message: str):
    base = {"target_n": 20, "tolerance_pct": 10, "hold_s": 5}
    with pytest.raises(ValidationError, match=message):
        ProtocolBody(name="x", steps=[{**base, **step}])
