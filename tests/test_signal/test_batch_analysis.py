"""Offline ``analyze`` (large blocks, no display filter) gives what the live pipeline gives.

``analyze`` feeds the one ``LivePipeline`` in blocks of ``BATCH_BLOCK`` samples and leaves out the
display filter when it keeps no samples. Neither may change a hold, an alert, an event or a
session figure: checked against the pipeline fed as a live server feeds it (small uneven blocks,
display filter on), on long 1 kHz traces whose block boundaries fall inside holds, excursions,
glitches, a gap and a settings change, and on the simulated hand.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from test_signal.test_detection_unchanged import _blocks, assert_same, hand_trace

from presshold.signal import HoldParams, LivePipeline, analyze, pipeline

P = HoldParams(target_n=30.0, tolerance_n=3.0, hold_s=30.0)
CHANGED = HoldParams(target_n=25.0, tolerance_n=2.5, hold_s=20.0, grace_s=0.4)


def long_session(rate: float = 1000.0, minutes: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """A press a minute (held 40 s with tremor and drift; an over-shoot, a slip), glitches,
    a NaN and a 3 s gap — several batch blocks long, their boundaries inside presses."""
    t = np.arange(0, 60 * minutes, 1 / rate)
    env = np.interp(t % 60, [0, 5, 7, 47, 49, 60], [0, 0, 1, 1, 0, 0])
    f = env * (30 + 0.6 * np.sin(2 * np.pi * 9 * t) + 1.5 * np.sin(2 * np.pi * t / 13))
    f += np.interp(t % 60, [0, 20, 21, 24, 25, 60], [0, 0, 8, 8, 0, 0]) * (t // 60 % 3 == 1)
    f -= np.interp(t % 60, [0, 30, 31, 33, 34, 60], [0, 0, 7, 7, 0, 0]) * (t // 60 % 3 == 2)
    f += np.random.default_rng(4).normal(0, 0.05, t.size)
    f[:: int(37 * rate)] = 900.0  # glitches
    f[int(150.5 * rate)] = np.nan
    keep = (t < 200.0) | (t >= 203.0)  # a gap inside a press
    return t[keep], f[keep]


def streamed(t: np.ndarray, f: np.ndarray, params: HoldParams, rate: float | None, change: int):
    """The live way: uneven small blocks, display filter on, new settings at sample ``change``."""
    pipe = LivePipeline(params, rate)
    events = []
    for s in _blocks(t.size):
        if s.start <= change < s.stop:  # split the block at the change, as the live view does
            events += pipe.process(t[s.start : change], f[s.start : change]).events
            pipe.set_params(CHANGED)
            s = slice(change, s.stop)
        events += pipe.process(t[s], f[s]).events
    events += pipe.finish()
    return _doc(pipe.holds, pipe.alerts, pipe.summary(), events)


def _doc(holds, alerts, summary, events) -> dict[str, Any]:
    doc = {
        "holds": [h.to_dict() for h in holds],
        "alerts": [a.to_dict() for a in alerts],
        "summary": summary.to_dict(),
        "events": [[e.kind, e.t_s, e.data] for e in events],
    }
    return json.loads(json.dumps(doc))  # NaN/None as JSON has them, like the golden file


def batch(t, f, params, rate, change, **kw) -> dict[str, Any]:
    a = analyze(t, f, params, rate, changes=[(change, CHANGED)], **kw)
    return _doc(a.holds, a.alerts, a.summary, a.events)


@pytest.mark.parametrize("rate", [1000.0, None])
def test_a_long_trace_gives_the_same_holds_alerts_and_events_as_live(rate):
    t, f = long_session()
    change = int(np.searchsorted(t, 330.2))
    assert t.size > 5 * pipeline.BATCH_BLOCK
    want = streamed(t, f, P, rate, change)
    got = batch(t, f, P, rate, change)
    assert_same(got, want)
    s = want["summary"]
    assert s["holds"] >= 7 and s["alerts_over"] and s["alerts_under"]  # the trace has all that
    assert s["glitches"] and s["gaps"] == 1


@pytest.mark.parametrize("block", [997, 4096, 1 << 20])
def test_the_batch_block_size_changes_nothing(monkeypatch, block):
    t, f = long_session(minutes=4)
    change = int(np.searchsorted(t, 150.0))
    want = batch(t, f, P, 1000.0, change)
    monkeypatch.setattr(pipeline, "BATCH_BLOCK", block)
    assert_same(batch(t, f, P, 1000.0, change), want)


def test_leaving_out_the_display_filter_changes_nothing_but_the_display():
    t, f = long_session(minutes=3)
    change = int(np.searchsorted(t, 100.0))
    with_display = analyze(t, f, P, 1000.0, changes=[(change, CHANGED)], keep_samples=True)
    assert with_display.samples is not None
    assert_same(batch(t, f, P, 1000.0, change), batch(t, f, P, 1000.0, change, keep_samples=True))
    s = with_display.samples
    assert s.display.size == s.detect.size == s.state_code.size == s.clean.size == t.size
    assert not np.array_equal(s.display, s.detect)  # the display filter did run


@pytest.mark.parametrize(("rate", "seed", "seconds"), [(1000.0, 5, 240.0), (80.0, 6, 1200.0)])
def test_the_simulated_hand_gives_the_same_answers_offline_and_live(rate, seed, seconds):
    t, f = hand_trace(rate, seed, seconds)
    change = t.size * 2 // 3
    want = streamed(t, f, HoldParams(30.0, 5.0, 8.0), rate, change)
    assert want["holds"], "the hand holds at least once"
    assert_same(batch(t, f, HoldParams(30.0, 5.0, 8.0), rate, change), want)
