"""The run state machine on scripted events and clock ticks: shown trials follow the detector,
hidden trials the clock; timeouts; a stop mid-trial."""

from __future__ import annotations

import numpy as np
import pytest

from presshold.training.machine import PRESS_TIMEOUT_S, RunMachine
from presshold.training.protocols import ProtocolBody, Step


def protocol(feedback: str, reps: int = 1) -> ProtocolBody:
    step = Step(target_n=20, tolerance_pct=10, hold_s=2, rest_s=1, reps=reps, feedback=feedback)
    return ProtocolBody(name="p", steps=[step])


def samples(t0: float, t1: float, force: float) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(t0, t1, 0.01)
    return t, np.full(t.size, force)


def test_a_shown_trial_moves_on_the_detectors_events():
    m = RunMachine(protocol("full"), now=0.0, lead_in_s=1.0)
    assert m.phase == "rest" and m.countdown_s(0.5) == 0.5 and not m.hidden
    out = m.tick(1.0)
    assert m.phase == "press" and [p.index for p in out.started] == [0]
    m.on_block(*samples(1.0, 1.5, 20), [("press_start", 1.2)])
    assert m.phase == "press"  # a shown trial waits for the band
    m.on_block(*samples(1.5, 2.0, 20), [("hold_start", 1.6)])
    assert m.phase == "hold"
    m.on_block(*samples(2.0, 3.7, 20), [("hold_complete", 3.6)])
    assert m.phase == "release"
    out = m.on_block(*samples(3.7, 4.0, 0), [("release", 3.8)])
    assert m.phase == "done" and out.done and len(out.finished) == 1
    done = out.finished[0]
    assert done.end_reason == "released" and done.metrics.pressed


def test_a_hidden_trial_moves_by_the_clock_and_ignores_the_band():
    m = RunMachine(protocol("blind", reps=2), now=0.0, lead_in_s=0.0)
    assert m.hidden  # the rest before a hidden trial is hidden too
    m.tick(0.0)
    m.on_block(*samples(0.0, 0.5, 20), [("press_start", 0.3)])
    assert m.phase == "hold" and m.countdown_s(1.3) == pytest.approx(1.0)
    m.on_block(*samples(0.5, 1.0, 20), [("hold_start", 0.6)])
    m.tick(2.0)
    assert m.phase == "hold"  # 2 s from the press start (0.3 s) is 2.3 s
    out = m.tick(2.3)
    assert m.phase == "release" and out.phase_changed
    out = m.on_block(*samples(2.3, 2.6, 0), [("release", 2.5)])
    assert m.phase == "rest" and m.index == 1 and out.finished[0].plan.hidden
    assert m.rest_until == 2.5 + 1.0


def test_an_early_release_ends_the_trial_and_no_press_times_out():
    m = RunMachine(protocol("full", reps=2), now=0.0, lead_in_s=0.0)
    m.tick(0.0)
    m.on_block(*samples(0.0, 1.0, 20), [("press_start", 0.2), ("hold_start", 0.4)])
    out = m.on_block(*samples(1.0, 1.2, 0), [("release", 1.1)])
    assert out.finished[0].end_reason == "released early"
    assert not out.finished[0].metrics.hold_completed
    m.tick(2.1)  # the next trial's cue after the 1 s rest
    assert m.phase == "press"
    out = m.tick(2.1 + PRESS_TIMEOUT_S)
    assert out.finished[0].end_reason == "no press" and out.finished[0].metrics.score == 0
    assert out.done


def test_no_trial_starts_while_the_student_still_presses():
    m = RunMachine(protocol("full"), now=0.0, lead_in_s=0.5)
    m.on_block(*samples(0.0, 0.3, 20), [("press_start", 0.1)])
    m.tick(1.0)
    assert m.phase == "rest" and m.view(1.0)["waiting_release"]
    m.on_block(*samples(0.3, 1.2, 0), [("release", 1.1)])
    m.tick(1.2)
    assert m.phase == "press"


def test_stop_scores_the_trial_in_progress():
    m = RunMachine(protocol("full", reps=3), now=0.0, lead_in_s=0.0)
    m.tick(0.0)
    m.on_block(*samples(0.0, 1.0, 20), [("press_start", 0.2), ("hold_start", 0.4)])
    out = m.stop(1.0)
    assert out.done and m.phase == "done" and out.finished[0].end_reason == "stopped"
    assert len(m.finished) == 1 and m.current is None
