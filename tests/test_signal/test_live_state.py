"""One truthful live state (issue 11, items 1-2): the glitch-guarded force for peaks and plots,
and one state word that the alert and the hold timer never contradict."""

from __future__ import annotations

import itertools

import numpy as np

from presshold.signal import HoldParams, LivePipeline, analyze

from .traces_gen import piecewise

RATE = 80.0
P = HoldParams(25.0, 3.0, 10.0)


def test_glitches_never_reach_the_clean_force() -> None:
    t, f = piecewise([(0, 0), (2, 25), (12, 25), (13, 0), (14, 0)], RATE)
    f = f.copy()
    f[[300, 500, 700]] = [3862.6, -3900.0, np.nan]
    a = analyze(t, f, P, RATE, keep_samples=True)
    assert a.samples is not None
    clean = a.samples.clean
    assert clean.size == t.size and np.all(np.isfinite(clean))
    assert clean.max() < 26.0 and clean.min() > -1.0
    assert a.summary.glitches == 3
    assert np.nanmax(f) == 3862.6  # the caller's raw array is untouched


def test_word_alert_and_timer_agree_on_every_block() -> None:
    """Hovering at the band's lower edge flips the zone many times; the word must not."""
    t, f = piecewise([(0, 0), (2, 25), (4, 25), (14, 25), (15, 10), (17, 0), (18, 0)], RATE)
    rng = np.random.default_rng(4)
    f = f.copy()
    hover = (t > 4) & (t < 14)
    f[hover] = 22.0 + 0.4 * np.sin(2 * np.pi * 2.0 * t[hover]) + rng.normal(0, 0.05, hover.sum())
    f[(t > 8) & (t < 9.5)] = 30.0  # a real excursion over the band: alert, hold ends
    pipe = LivePipeline(P, RATE)
    words = []
    for a in range(0, t.size, 3):  # 3-sample blocks, as a 30 Hz frame at 80 Hz
        pipe.process(t[a : a + 3], f[a : a + 3])
        st = pipe.state
        words.append(st.band_state)
        if st.alert is not None:
            assert st.band_state == st.alert and st.hold_s == 0
        assert (st.band_state == "in_band") == st.in_band
        if st.hold_s > 0:
            assert st.band_state == "in_band"
    flips = sum(1 for a, b in itertools.pairwise(words) if a != b)
    zone_flips = int(np.count_nonzero(np.diff((f[hover] >= 22.0).astype(int))))
    assert zone_flips > 20  # the raw zone chatters …
    assert flips <= 8  # … the word changes only at real transitions
    assert "over" in words and "in_band" in words and words[-1] == "idle"
