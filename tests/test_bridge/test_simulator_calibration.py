"""The hand model looks like a hand; tare and known-weight fits work on the simulated source."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import welch

from presshold.errors import CalibrationError
from presshold.firmware_bridge import CalibrationStore, SimulatedSource, open_source
from presshold.firmware_bridge.calibration import Calibration
from presshold.firmware_bridge.simulator import SIM_OFFSET_RAW, SIM_SCALE_N_PER_RAW, HandModel


def force(raw: np.ndarray) -> np.ndarray:
    return Calibration(SIM_OFFSET_RAW, SIM_SCALE_N_PER_RAW).apply(raw)


def test_seeded_model_is_reproducible() -> None:
    a = HandModel(200, seed=3).samples(2000)
    b = HandModel(200, seed=3).samples(2000)
    np.testing.assert_array_equal(a, b)


def test_hand_ramps_holds_near_target_with_tremor_and_rests() -> None:
    m = HandModel(200, seed=1)
    f = force(m.samples(200 * 120))
    clean = f[np.abs(f) < 200]  # drop the rare single-sample glitches
    assert clean.max() > 25 and np.mean(clean < 1) > 0.05  # reaches ~30 N target and rests
    slopes = np.diff(clean) * 200
    ramp = slopes[(clean[1:] > 5) & (clean[1:] < 20)]
    assert 3 < np.median(ramp[ramp > 0]) < 20  # realistic ramp rate
    hold = clean[np.abs(clean - 30) < 8]
    assert len(hold) > 200 * 20
    freqs, psd = welch(hold - np.convolve(hold, np.ones(40) / 40, "same"), fs=200, nperseg=512)
    band = psd[(freqs >= 8) & (freqs <= 12)].mean()
    assert band > 3 * psd[(freqs > 20) & (freqs < 60)].mean()  # tremor peak


def test_sim_source_streams_in_newtons_and_tares(tmp_path: Path) -> None:
    src = open_source("sim", data_dir=tmp_path, rate_hz=200)
    assert isinstance(src, SimulatedSource)
    batches = []

    class Sink:
        def on_readings(self, b):  # type: ignore[no-untyped-def]
            batches.append(b)

        def on_status(self, s):  # type: ignore[no-untyped-def]
            pass

    with pytest.raises(CalibrationError):
        src.tare()
    src.start(Sink())
    time.sleep(0.4)
    src.stop()
    t = np.concatenate([b.t_s for b in batches])
    assert len(t) > 40 and np.all(np.diff(t) > 0)
    assert abs(np.median(np.concatenate([b.force_n for b in batches]))) < 5  # resting at start


def test_fit_from_tare_and_known_weights_is_saved(tmp_path: Path) -> None:
    src = SimulatedSource(100, CalibrationStore(tmp_path), seed=0)
    t = np.arange(100) / 100.0
    for known, raw in ((0.0, 1000.0), (9.80665, 3000.0), (19.6133, 5000.0)):
        src._make_batch(t + known, np.full(100, raw) + np.random.default_rng(0).normal(0, 1, 100))
        if known == 0:
            src.tare()
        else:
            src.add_calibration_point(known)
    result = src.fit_calibration()
    assert result["scale_n_per_raw"] == pytest.approx(9.80665 / 2000, rel=1e-3)
    assert result["offset_raw"] == pytest.approx(1000, abs=1)
    assert result["nonlinearity_pct"] < 0.1
    loaded = CalibrationStore(tmp_path).load("sim")
    assert loaded is not None and loaded.scale_n_per_raw == pytest.approx(result["scale_n_per_raw"])


def test_unsteady_tare_is_refused(tmp_path: Path) -> None:
    src = SimulatedSource(100, None, seed=0)
    src._make_batch(np.arange(100) / 100.0, np.linspace(0, 100_000, 100))
    with pytest.raises(CalibrationError, match="steady"):
        src.tare()
