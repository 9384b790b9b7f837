"""The hand model looks like a hand; tare and known-weight fits work on the simulated source."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import welch
from support.collect import Collect

from presshold.errors import CalibrationError
from presshold.firmware_bridge import CalibrationStore, SimulatedSource, open_source
from presshold.firmware_bridge.calibration import Calibration, ZeroTracking, default_for_unit
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
    sink = Collect()
    with pytest.raises(CalibrationError):
        src.tare()
    src.start(sink)
    time.sleep(0.4)
    src.stop()
    t = sink.times()
    assert len(t) > 40 and np.all(np.diff(t) > 0)
    assert abs(np.median(sink.values())) < 5  # resting at start


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


def test_an_uncalibrated_raw_sensor_can_be_tared_at_rest_but_not_while_moving() -> None:
    """Raw counts of unknown scale: steadiness is judged against the sensor's own noise."""
    src = SimulatedSource(100, None, seed=0)
    src._use_calibration("hx", default_for_unit("raw", "hx"))
    rng = np.random.default_rng(1)
    t = np.arange(100) / 100.0
    src._make_batch(t, 84_000 + rng.normal(0, 40, 100).round())  # HX711 noise at rest
    cal = src.tare(0.5)
    assert abs(cal.offset_raw - 84_000) < 20 and not cal.calibrated
    src._make_batch(t + 1, 84_000 + np.linspace(0, 4_000, 100) + rng.normal(0, 40, 100))  # press
    with pytest.raises(CalibrationError, match="steady"):
        src.tare(0.5)
    src._make_batch(t + 2, np.where(t < 0.5, 84_000.0, 90_000.0))  # a weight just put down
    with pytest.raises(CalibrationError, match="steady"):
        src.add_calibration_point(10.0, 1.0)


def test_tare_mean_resists_a_glitch() -> None:
    src = SimulatedSource(100, None, seed=0)
    raw = np.full(50, 84_000.0) + np.tile([-1.0, 1.0], 25)
    raw[10] = 8_388_607.0  # one bad HX711 read
    src._make_batch(np.arange(50) / 100.0, raw)
    assert src.tare(0.5).offset_raw == pytest.approx(84_000, abs=0.5)


def test_device_units_convert_to_newtons() -> None:
    for unit, one in (("N", 1.0), ("kgf", 9.80665), ("g", 0.00980665), ("lbf", 4.4482216152605)):
        cal = default_for_unit(unit, "x")
        assert cal.apply(np.array([1.0]))[0] == pytest.approx(one) and cal.calibrated


def test_replay_can_be_tared_but_nothing_is_persisted(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text(
        "t_s,force_n\n" + "".join(f"{k / 100},{2.0 + (k % 2) * 0.01}\n" for k in range(50))
    )
    src = open_source(str(csv), data_dir=tmp_path)
    src._make_batch(np.arange(50) / 100.0, src.raw)
    assert src.tare(0.3).offset_raw == pytest.approx(2.005, abs=0.006)
    assert src.calibration.apply(np.array([2.005]))[0] == pytest.approx(0, abs=0.006)
    assert not (tmp_path / "calibrations.json").exists()


def _feed(src: SimulatedSource, t0: float, seconds: float, force_n, rate: float = 80.0):  # type: ignore[no-untyped-def]
    """Feed ``force_n(t)`` (newtons through the sim calibration) in 20 ms batches."""
    out = []
    k0 = int(t0 * rate)
    for k in range(k0, k0 + int(seconds * rate), 2):
        t = np.array([k, k + 1]) / rate
        raw = SIM_OFFSET_RAW + force_n(t) / SIM_SCALE_N_PER_RAW
        out.append(src._make_batch(t, raw).force_n)
    return np.concatenate(out)


def test_zero_tracking_follows_drift_at_rest_only() -> None:
    assert open_source("sim", data_dir=Path("unused"), zero_tracking=True).zero_tracking
    src = SimulatedSource(80, None, seed=0)
    assert not src.zero_tracking  # off by default
    rng = np.random.default_rng(2)

    def drift(t):  # type: ignore[no-untyped-def]
        return 0.3 + 0.002 * t + rng.normal(0, 0.01, len(t))

    untracked = _feed(src, 0, 5, drift)
    assert abs(untracked[-10:].mean() - 0.31) < 0.02
    src.set_zero_tracking(True)
    tracked = _feed(src, 5, 30, drift)
    assert abs(tracked[-80:].mean()) < 0.03  # the creeping zero was followed back to 0 N
    assert tracked.min() > -0.1  # and never overshot

    # a steady hold at 30 N, a light 0.4 N steady touch after a press: neither is zeroed away
    offset = src.calibration.offset_raw
    assert src._zero is not None and 0.3 < src._zero.total_n < 0.4
    held = _feed(src, 35, 10, lambda t: 30.0 + drift(t))  # the sensor still drifts underneath
    assert abs(held[-10:].mean() - 30.0) < 0.03
    assert src.calibration.offset_raw == offset
    touch = _feed(src, 45, 2.5, lambda t: 0.4 + drift(t))
    assert src.calibration.offset_raw == offset and abs(touch[-10:].mean() - 0.4) < 0.03

    src.set_zero_tracking(False)
    _feed(src, 50, 10, drift)
    assert src.calibration.offset_raw == offset


def test_zero_tracking_stops_at_its_limit() -> None:
    src = SimulatedSource(80, None, seed=0)
    src.set_zero_tracking(True, ZeroTracking(band_n=5.0, rate_n_per_s=1.0, max_total_n=1.0))
    out = _feed(src, 0, 20, lambda t: np.full(len(t), 3.0))
    assert out[-1] == pytest.approx(2.0)  # 1 N taken off, the rest needs a real tare
    src._make_batch(
        np.array([30.0, 30.01, 30.02]), np.full(3, SIM_OFFSET_RAW + 3 / SIM_SCALE_N_PER_RAW)
    )
    src.tare(0.5)
    assert src._zero is not None and src._zero.total_n == 0.0


def test_model_rates_80_hz_default_up_to_1_khz() -> None:
    assert SimulatedSource(store=None, seed=0).model.rate_hz == 80.0
    f = force(HandModel(1000, seed=5).samples(1000 * 20))
    assert np.all(np.isfinite(f)) and f.max() > 20  # a press within 20 s at 1 kHz
    for bad in (5, 2000):
        with pytest.raises(ValueError, match="10-1000"):
            HandModel(bad)


def test_fit_handles_swapped_wires_and_reports_non_linearity() -> None:
    from presshold.firmware_bridge.calibration import fit

    swapped = fit([{"known_n": 0.0, "raw": 5000.0}, {"known_n": 10.0, "raw": 3000.0}], "s")
    assert swapped.scale_n_per_raw == pytest.approx(-0.005)  # readings fall with load: still N
    assert swapped.apply(np.array([4000.0]))[0] == pytest.approx(5.0)
    fsr = fit([{"known_n": n, "raw": 100 * np.sqrt(n)} for n in (0.0, 5.0, 10.0, 20.0, 40.0)], "f")
    assert len(fsr.residuals_n) == 5 and fsr.nonlinearity_pct is not None
    assert fsr.nonlinearity_pct > 5  # an FSR-like square-root response is flagged
    with pytest.raises(CalibrationError, match="two distinct loads"):
        fit([{"known_n": 0.0, "raw": 1.0}], "x")
    with pytest.raises(CalibrationError, match="do not change"):
        fit([{"known_n": 0.0, "raw": 7.0}, {"known_n": 9.8, "raw": 7.0}], "x")


def test_concurrent_saves_keep_every_sensor(tmp_path: Path) -> None:
    """Tare/add-point/fit save from worker threads: no entry lost, no clash over a temp file."""
    n_threads, rounds = 8, 20
    start = threading.Barrier(n_threads)
    errors: list[BaseException] = []

    def save_many(k: int) -> None:
        store = CalibrationStore(tmp_path)  # separate stores sharing one file, as the app may
        start.wait()
        try:
            for r in range(rounds):
                store.save(Calibration(offset_raw=r, scale_n_per_raw=k + 1, sensor_id=f"s{k}"))
        except Exception as exc:  # collected: a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=save_many, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store = CalibrationStore(tmp_path)
    for k in range(n_threads):
        cal = store.load(f"s{k}")
        assert cal is not None and (cal.offset_raw, cal.scale_n_per_raw) == (rounds - 1, k + 1)
    assert [p.name for p in tmp_path.iterdir()] == ["calibrations.json"]  # no temp file left
