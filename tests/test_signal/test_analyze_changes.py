"""``analyze(changes=…)``: settings switched mid-trace, exactly as the live pipeline switches."""

from __future__ import annotations

import numpy as np

from presshold.signal import HoldParams, LivePipeline, analyze


def test_changes_apply_from_their_sample_like_the_live_pipeline() -> None:
    t = np.arange(0, 60, 1 / 80)
    f = np.interp(t, [0, 2, 20, 21, 25, 27, 45, 46, 60], [0, 30, 30, 0, 0, 25, 25, 0, 0])
    first, second = HoldParams(30.0, 3.0, 10.0), HoldParams(25.0, 2.5, 10.0)
    cut = int(np.searchsorted(t, 23.0))
    got = analyze(t, f, first, changes=[(cut, second)])

    live = LivePipeline(first)
    live.process(t[:cut], f[:cut])
    live.set_params(second)
    live.process(t[cut:], f[cut:])
    live.finish()
    assert [h.to_dict() for h in got.holds] == [h.to_dict() for h in live.holds]
    assert got.summary.holds_completed == 2  # the 25 N hold counts under its own target
    assert analyze(t, f, first).summary.holds_completed == 1  # not under the starting one
    assert (
        got.samples is None
        and analyze(t, f, first, changes=[]).to_dict() == analyze(t, f, first).to_dict()
    )
