"""Filters: rate-adapted designs, block-split invariance against whole-array results, glitches."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import sosfilt, sosfreqz

from presshold.signal import HoldParams, LivePipeline, design_filters
from presshold.signal.filters import DISPLAY, FilterBank, GlitchGuard
from presshold.signal.one_euro import OneEuroFilter

P = HoldParams(target_n=30.0, tolerance_n=3.0, hold_s=5.0)


@pytest.mark.parametrize("rate", [2.0, 10.0, 12.5, 20.0, 80.0, 320.0, 1000.0, 2000.0])
def test_designs_valid_at_every_rate(rate):
    d = design_filters(rate)
    assert 0 < d.detect_hz < rate / 2
    poles = np.concatenate([np.roots(s[3:]) for s in d.detect_sos])
    assert np.all(np.abs(poles) < 1)  # stable
    _, h = sosfreqz(d.detect_sos, worN=[0.0], fs=rate)
    assert abs(h[0]) == pytest.approx(1.0)  # unity gain: a held force reads true
    cap = 0.4 * rate  # the display filter's cut-offs stay below Nyquist too
    assert 0 < d.display.min_cutoff_hz <= cap and 0 < d.display.d_cutoff_hz <= cap
    assert d.display == DISPLAY.at_rate(rate)


@pytest.mark.parametrize("rate", [80.0, 1000.0])
def test_detection_filter_removes_tremor(rate):
    d = design_filters(rate)
    _, h = sosfreqz(d.detect_sos, worN=[2.0, 8.0, 12.0], fs=rate)
    gain_db = 20 * np.log10(np.abs(h))
    assert gain_db[0] > -1.0  # voluntary changes pass
    assert gain_db[1] < -15 and gain_db[2] < -25  # physiological tremor does not


def _clean_trace(rate, seconds=6.0, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(0, seconds, 1 / rate)
    f = 30 * np.clip(t / 1.5, 0, 1) + 0.8 * np.sin(2 * np.pi * 10 * t) + rng.normal(0, 0.05, t.size)
    return t, f


@settings(max_examples=40, deadline=None)
@given(
    rate=st.sampled_from([10.0, 80.0, 1000.0]),
    sizes=st.lists(st.integers(1, 300), min_size=1, max_size=60),
)
def test_any_block_split_equals_the_whole_array(rate, sizes):
    """Detection: sosfilt over the whole array. Display: one OneEuroFilter call over it."""
    t, f = _clean_trace(rate)
    d = design_filters(rate)
    ref_detect = sosfilt(d.detect_sos, f, zi=FilterBank(d).initial_state(f[0]))[0]
    ref_display = OneEuroFilter(rate, d.display).process(f)
    pipe = LivePipeline(P, rate)
    cuts = np.cumsum(sizes)
    cuts = cuts[cuts < t.size]
    parts = [pipe.process(a, b) for a, b in zip(np.split(t, cuts), np.split(f, cuts), strict=True)]
    np.testing.assert_allclose(np.concatenate([p.display for p in parts]), ref_display, atol=1e-9)
    np.testing.assert_allclose(np.concatenate([p.detect for p in parts]), ref_detect, atol=1e-9)


def test_start_has_no_transient():
    t = np.arange(0, 1, 1 / 80)
    res = LivePipeline(P, 80.0).process(t, np.full(t.size, 25.0))
    np.testing.assert_allclose(res.display, 25.0)
    np.testing.assert_allclose(res.detect, 25.0)


def test_both_filters_restart_after_a_gap_without_a_transient():
    t = np.r_[np.arange(0, 2, 1 / 80), np.arange(5, 7, 1 / 80)]
    f = np.where(t < 3, 10.0, 25.0)
    res = LivePipeline(P, 80.0).process(t, f)
    after = t >= 5
    np.testing.assert_allclose(res.display[after], 25.0)
    np.testing.assert_allclose(res.detect[after], 25.0)


def test_guard_removes_single_spikes_and_leaves_clean_signal_alone():
    g = GlitchGuard()
    clean = 30 + np.sin(np.linspace(0, 6, 200))
    out, idx = g.clean(clean, 30.0)
    assert idx is None and np.array_equal(out, clean)
    x = clean.copy()
    x[[50, 120]] = [5000.0, -5000.0]
    x[160] = np.nan
    out, idx = GlitchGuard().clean(x, 30.0)
    assert idx.tolist() == [50, 120, 160]
    assert np.all(np.abs(out - clean) < 0.1)


def test_guard_delays_a_real_step_by_one_sample_only():
    x = np.r_[np.zeros(10), np.full(10, 100.0)]
    out, idx = GlitchGuard().clean(x, 30.0)
    assert idx.tolist() == [10]
    assert out[10] == 0.0 and np.all(out[11:] == 100.0)


def test_guard_carries_its_look_behind_across_blocks():
    x = 30 + np.zeros(20)
    x[7] = 5000.0
    g = GlitchGuard()
    pieces = [g.clean(x[a:b], 30.0)[0] for a, b in ((0, 7), (7, 8), (8, 20))]
    assert np.all(np.concatenate(pieces) == 30.0)


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 400), min_size=1, max_size=12),
    step=st.floats(0.5, 60.0),
    spikes=st.lists(st.integers(0, 4799), max_size=6),
    seed=st.integers(0, 1000),
)
def test_the_guards_quick_checks_answer_as_the_careful_pass_would(sizes, step, spikes, seed):
    """The guard skips its careful pass when no sample can be a glitch (the range, or every
    step, within the threshold): bit for bit what the careful pass gives, on random walks whose
    steps straddle the threshold, with spikes."""
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.uniform(-step, step, 4800))
    x[[i for i in spikes if i < x.size]] = 5000.0
    quick, careful = GlitchGuard(), GlitchGuard()
    at = 0
    for n in sizes:
        block = x[at : at + n]
        at += n
        if block.size == 0:
            break
        got, got_idx = quick.clean(block, 30.0)
        want, want_idx = careful._careful(block, 30.0)
        assert np.array_equal(got, want)
        assert (got_idx is None and want_idx is None) or np.array_equal(got_idx, want_idx)
        assert (quick._h0, quick._h1) == (careful._h0, careful._h1)
