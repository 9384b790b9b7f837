"""The display filter is not part of detection: holds, alerts and events are those recorded before.

``holds_golden.json`` was written by this module
(``.venv/bin/python tests/test_signal/test_detection_unchanged.py``) on commit b00c1e5, when the
display filter was still the 10 Hz Butterworth. Replacing the display filter (issue 13) must leave
every hold, alert, event, session figure and the detection signal itself as they were — on the
simulated hand at 10 Hz, 80 Hz and 1 kHz, and on a session with glitches, a NaN, a gap and a
settings change, offline and live in uneven blocks. Only the display column may differ.

Rewritten once since, on the merge of issue 11 (a release in progress is no longer a slip, and
the simulated hand plans its presses): both meant to change detection or its inputs, and
checked by their own tests (``test_slip_release.py``, ``test_simulator_cycle.py``).

Each case also stores a fingerprint of its input (added afterwards, from the same unchanged
inputs), so a change to the simulator is reported as such, not as a change of detection. Rewrite
the file only for a change that is *meant* to alter detection (or the inputs), on a commit whose
detection is trusted, and say so in the commit.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from presshold.firmware_bridge.simulator import (
    SIM_OFFSET_RAW,
    SIM_SCALE_N_PER_RAW,
    HandModel,
    HandTarget,
)
from presshold.signal import HoldParams, LivePipeline, analyze

GOLDEN = Path(__file__).with_name("holds_golden.json")
HAND = HoldParams(target_n=30.0, tolerance_n=5.0, hold_s=8.0)
SESSION = HoldParams(target_n=30.0, tolerance_n=3.0, hold_s=10.0)
CASES = {  # name: (rate, seed, seconds)
    "hand-80Hz-seed0": (80.0, 0, 240.0),
    "hand-80Hz-seed1": (80.0, 1, 240.0),
    "hand-1kHz-seed2": (1000.0, 2, 90.0),
    "hand-10Hz-seed3": (10.0, 3, 240.0),
}
SPLIT = [1, 7, 32, 5, 200, 64, 3]  # live-like uneven blocks, cycled


def hand_trace(rate: float, seed: int, seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """The simulated hand (ramps, tremor, drift, overshoots, slips, rare glitches), in newtons."""
    raw = HandModel(rate, seed=seed, target=HandTarget(30.0, 5.0, 8.0)).samples(int(seconds * rate))
    t = np.arange(raw.size) / rate
    return t, (raw - SIM_OFFSET_RAW) * SIM_SCALE_N_PER_RAW


def session_trace() -> tuple[np.ndarray, np.ndarray]:
    """Presses with tremor, an over-shoot, a slip, glitches, a NaN and a 2 s gap, at 80 Hz."""
    rate = 80.0
    t = np.arange(0, 120, 1 / rate)
    knots = [0, 2, 4, 9, 9.3, 10.5, 10.8, 12, 12.3, 16, 17, 20]
    force = [0, 0, 30, 30, 38, 38, 30, 30, 24, 24, 0, 0]
    f = np.interp(t % 20, knots, force)
    f = f + (f > 1) * (0.6 * np.sin(2 * np.pi * 9 * t) + 0.8 * np.sin(2 * np.pi * t / 7))
    f += np.random.default_rng(7).normal(0, 0.05, t.size)
    f[:: int(7 * rate)] = 5000.0
    f[5000] = np.nan
    keep = (t < 47.0) | (t >= 49.0)
    return t[keep], f[keep]


def _blocks(n: int) -> list[slice]:
    out, i, k = [], 0, 0
    while i < n:
        out.append(slice(i, i + SPLIT[k % len(SPLIT)]))
        i += SPLIT[k % len(SPLIT)]
        k += 1
    return out


def snapshot(t: np.ndarray, f: np.ndarray, params: HoldParams, rate: float) -> dict[str, Any]:
    """Everything detection produces, offline (one call) and live (uneven blocks, a settings
    change halfway): holds, alerts, summary, events and a fingerprint of the detection signal."""
    a = analyze(t, f, params, rate, keep_samples=True)
    assert a.samples is not None
    pipe = LivePipeline(params, rate)
    live_events, detect, codes = [], [], []
    changed = HoldParams(params.target_n, params.tolerance_n * 1.2, params.hold_s * 0.5)
    for k, s in enumerate(blocks := _blocks(t.size)):
        if k == len(blocks) // 2:
            pipe.set_params(changed)
        r = pipe.process(t[s], f[s])
        live_events += r.events
        detect.append(r.detect)
        codes.append(r.state_code)
    live_events += pipe.finish()
    live_detect = np.concatenate(detect)
    return {
        "offline": {
            "holds": [h.to_dict() for h in a.holds],
            "alerts": [x.to_dict() for x in a.alerts],
            "summary": a.summary.to_dict(),
            "events": [[e.kind, e.t_s, e.data] for e in a.events],
            "detect": _fingerprint(a.samples.detect),
            "state_code": _runs(a.samples.state_code),
        },
        "live": {
            "holds": [h.to_dict() for h in pipe.holds],
            "alerts": [x.to_dict() for x in pipe.alerts],
            "summary": pipe.summary().to_dict(),
            "events": [[e.kind, e.t_s, e.data] for e in live_events],
            "detect": _fingerprint(live_detect),
            "state_code": _runs(np.concatenate(codes)),
        },
    }


def _fingerprint(y: np.ndarray) -> dict[str, Any]:
    return {"n": int(y.size), "sum": float(y.sum()), "sumsq": float((y * y).sum()),
            "every_499th": y[::499].tolist()}  # fmt: skip


def _runs(codes: np.ndarray) -> list[list[int]]:
    """State codes as [first index, code] per run: every sample's code, compactly."""
    starts = np.flatnonzero(np.diff(codes, prepend=-1))
    return np.column_stack((starts, codes[starts])).tolist()


def all_snapshots() -> dict[str, Any]:
    out = {}
    for name, (r, s, sec) in CASES.items():
        t, f = hand_trace(r, s, sec)
        out[name] = {"input": _fingerprint(f), **snapshot(t, f, HAND, r)}
    t, f = session_trace()
    out["session-80Hz-glitches-gap"] = {"input": _fingerprint(f), **snapshot(t, f, SESSION, 80.0)}
    return out


def assert_same(got: Any, want: Any, path: str = "") -> None:
    """Equal structure; exact for text, ints and times; floats to 1e-9 relative (the detection
    filter's block arithmetic may round differently in the last bits, never more)."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys(), path
        for k in want:
            assert_same(got[k], want[k], f"{path}.{k}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same(g, w, f"{path}[{i}]")
    elif isinstance(want, float) and not isinstance(got, bool):
        assert isinstance(got, float | int), path
        if math.isnan(want):
            assert math.isnan(got), path
        else:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-9), path
    else:
        assert got == want, path


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("name", [*CASES, "session-80Hz-glitches-gap"])
def test_holds_alerts_and_events_are_those_recorded_before_the_display_filter_changed(name, golden):
    if name in CASES:
        r, s, sec = CASES[name]
        t, f = hand_trace(r, s, sec)
        got = snapshot(t, f, HAND, r)
    else:
        t, f = session_trace()
        got = snapshot(t, f, SESSION, 80.0)
    want = golden[name]
    changed = f"{name}: the input itself changed (the simulator?), not necessarily detection"
    assert_same(_fingerprint(f), want["input"], changed)
    got = json.loads(json.dumps(got))  # the same JSON round trip the golden file went through
    assert_same(got, {k: v for k, v in want.items() if k != "input"}, name)
    assert golden[name]["offline"]["holds"], "each case exercises at least one hold"


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(all_snapshots(), separators=(",", ":")) + "\n")
    print(f"wrote {GOLDEN}", file=sys.stderr)
