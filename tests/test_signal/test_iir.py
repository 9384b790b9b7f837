"""The detection filter's NumPy arithmetic against SciPy's: design, rest state, and filtering
over every path (one small product, chunks with a prefix scan, a tail) and any block split."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import butter, sosfilt, sosfilt_zi

from presshold.signal.iir import (
    CHUNK,
    DIRECT_MAX,
    BlockMap,
    SosCascade,
    butter_lowpass,
    simulate,
    steady_state,
)

DESIGNS = [  # (order, cut-off Hz, rate Hz): the detection filter's range of rates, and beyond
    (4, 4.5, 1000.0),
    (4, 4.5, 80.0),
    (4, 3.0, 10.0),
    (4, 0.6, 2.0),
    (4, 4.5, 10_000.0),
    (2, 10.0, 80.0),
    (6, 4.5, 320.0),
    (8, 40.0, 1000.0),
]


@pytest.mark.parametrize(("order", "cutoff", "rate"), DESIGNS)
def test_the_design_is_scipys_butterworth(order, cutoff, rate):
    ours = butter_lowpass(order, cutoff, rate)
    theirs = butter(order, cutoff, fs=rate, output="sos")
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=0)
    np.testing.assert_allclose(steady_state(ours), sosfilt_zi(theirs), rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize(("order", "cutoff"), [(3, 4.5), (0, 4.5), (4, 0.0), (4, 40.0), (4, -1)])
def test_a_design_it_cannot_make_is_refused(order, cutoff):
    with pytest.raises(ValueError, match=r"order|cut-off"):
        butter_lowpass(order, cutoff, 80.0)


def _signal(n, seed=0):
    rng = np.random.default_rng(seed)
    return 30 + np.cumsum(rng.normal(0, 0.5, n)) + rng.normal(0, 2, n)


@pytest.mark.parametrize(
    "n", [1, 2, CHUNK, DIRECT_MAX, DIRECT_MAX + 1, DIRECT_MAX + CHUNK, 1000, 65_536, 100_003]
)
def test_every_path_is_sosfilt_with_carried_state(n):
    sos = butter_lowpass(4, 4.5, 1000.0)
    x = _signal(n)
    z0 = np.random.default_rng(1).normal(0, 30, 4)  # any state, not just the rest state
    y, z = SosCascade(sos).filter(x, z0)
    y_ref, z_ref = sosfilt(sos, x, zi=z0.reshape(-1, 2))
    scale = max(np.abs(x).max(), np.abs(y_ref).max(), np.abs(z_ref).max())  # a far-off state
    # starts a large transient: rounding is relative to the largest value met
    np.testing.assert_allclose(y, y_ref, rtol=0, atol=1e-11 * scale)
    np.testing.assert_allclose(z, z_ref.ravel(), rtol=0, atol=1e-11 * scale)


def test_a_block_map_is_the_recursion_itself():
    sos = butter_lowpass(4, 4.5, 80.0)
    x, z0 = _signal(40, seed=2), np.arange(4.0)
    y, z = BlockMap(sos, 40).apply(x, z0)
    y_ref, z_ref = simulate(sos, x[:, None], z0.reshape(2, 2, 1))
    np.testing.assert_allclose(y, y_ref[:, 0], atol=1e-12)
    np.testing.assert_allclose(z, z_ref.ravel(), atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    rate=st.sampled_from([10.0, 80.0, 1000.0]),
    sizes=st.lists(st.integers(1, 3000), min_size=1, max_size=20),
)
def test_any_block_split_gives_the_whole_signal(rate, sizes):
    sos = butter_lowpass(4, min(4.5, 0.3 * rate), rate)
    cascade = SosCascade(sos)
    x = _signal(sum(sizes), seed=3)
    z = cascade.steady * x[0]
    whole, z_whole = SosCascade(sos).filter(x, z)
    parts = []
    for piece in np.split(x, np.cumsum(sizes)[:-1]):
        y, z = cascade.filter(piece, z)
        parts.append(y)
    scale = np.abs(whole).max()  # rounding differs with the chunk grid: ~1e-12 of the signal
    np.testing.assert_allclose(np.concatenate(parts), whole, rtol=0, atol=1e-11 * scale)
    np.testing.assert_allclose(z, z_whole, rtol=0, atol=1e-11 * scale)


def test_a_held_force_reads_true_on_every_path():
    sos = butter_lowpass(4, 4.5, 1000.0)
    cascade = SosCascade(sos)
    for n in (7, DIRECT_MAX, 10 * CHUNK + 3):
        y, z = cascade.filter(np.full(n, 31.25), cascade.steady * 31.25)
        np.testing.assert_allclose(y, 31.25, rtol=0, atol=1e-10)
        np.testing.assert_allclose(z, cascade.steady * 31.25, rtol=0, atol=1e-10)
