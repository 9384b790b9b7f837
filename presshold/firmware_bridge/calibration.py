"""Linear calibration raw -> newtons, known-weight fits, zero tracking; stored per sensor."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from presshold.errors import CalibrationError
from presshold.signal.units import FORCE_UNITS, KGF_N

log = logging.getLogger("presshold.bridge")

UNIT_SCALE = {**FORCE_UNITS, "g": KGF_N / 1000.0}
"""Newtons per unit for devices that already send a force (hello ``unit=``)."""


@dataclass(slots=True)
class Calibration:
    """``force_n = (raw - offset_raw) * scale_n_per_raw``."""

    offset_raw: float = 0.0
    scale_n_per_raw: float = 1.0
    points: list[dict[str, float]] = field(default_factory=list)
    fitted_at: float | None = None
    sensor_id: str | None = None
    residuals_n: list[float] = field(default_factory=list)
    nonlinearity_pct: float | None = None
    calibrated: bool = True
    """False while ``scale_n_per_raw`` is a placeholder (raw counts, never fitted)."""

    def apply(self, raw: np.ndarray) -> np.ndarray:
        return (np.asarray(raw, dtype=np.float64) - self.offset_raw) * self.scale_n_per_raw

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> Calibration:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in names})  # type: ignore[arg-type]


def generic_sensor_id(name: str | None, vid_pid: str | None, port: str) -> str:
    """The identity of a board without a USB serial number: its hello name, USB VID:PID and the
    port it is on (``hx711 [2341:0043] on /dev/ttyACM0``). Weaker than a serial number — a load
    cell swapped on the same board looks the same — so a calibration found this way is reported
    as a ``generic`` match; but two such boards on two ports no longer share one entry."""
    who = " ".join(p for p in (name, f"[{vid_pid}]" if vid_pid else None) if p)
    return f"{who} on {port}" if who else port


def default_for_unit(unit: str, sensor_id: str | None) -> Calibration:
    """Devices that already send N/kgf/g/lbf need only a unit conversion; raw counts start 1:1."""
    if unit in UNIT_SCALE:
        return Calibration(scale_n_per_raw=UNIT_SCALE[unit], sensor_id=sensor_id)
    return Calibration(sensor_id=sensor_id, calibrated=False)


def robust_mean(values: np.ndarray, trim: float = 0.1) -> float:
    """Mean with ``trim`` cut from each tail: sub-count resolution, yet a glitch cannot move it."""
    v = np.sort(np.asarray(values, dtype=np.float64))
    k = int(len(v) * trim)
    return float(v[k : len(v) - k].mean())


def fit(points: list[dict[str, float]], sensor_id: str | None) -> Calibration:
    """Least squares line through (raw, known_n) points (tare is the point at 0 N)."""
    if len(points) < 2 or len({p["known_n"] for p in points}) < 2:
        raise CalibrationError("need a tare and at least one known weight (two distinct loads)")
    raw = np.array([p["raw"] for p in points])
    n = np.array([p["known_n"] for p in points])
    if np.ptp(raw) == 0:
        raise CalibrationError(
            "calibration is ill-conditioned: raw readings do not change with load"
        )
    slope, intercept = np.polyfit(raw, n, 1)
    if slope == 0 or not np.isfinite(slope):
        raise CalibrationError(
            "calibration is ill-conditioned: raw readings do not change with load"
        )
    resid = n - (slope * raw + intercept)
    span = float(n.max() - n.min())
    return Calibration(
        offset_raw=float(-intercept / slope),
        scale_n_per_raw=float(slope),
        points=list(points),
        fitted_at=time.time(),
        sensor_id=sensor_id,
        residuals_n=[float(r) for r in resid],
        nonlinearity_pct=float(np.abs(resid).max() / span * 100.0),
    )


@dataclass(slots=True)
class ZeroTracking:
    """Automatic zero tracking, as scales do: follow slow drift only while unloaded and steady.

    Off by default. A reading counts as unloaded within ``band_n`` of zero; tracking needs
    ``window_s`` of such readings with a peak-to-peak spread under ``steady_n``, and ``holdoff_s``
    since the last reading outside the band, so a press, its release and the creep right after it
    are never zeroed away. The correction moves at most ``rate_n_per_s`` and ``max_total_n`` in
    all; beyond that the drift is too large to hide and needs an explicit tare.
    """

    band_n: float = 0.5
    steady_n: float = 0.15
    window_s: float = 2.0
    holdoff_s: float = 3.0
    rate_n_per_s: float = 0.05
    max_total_n: float = 2.0
    total_n: float = 0.0
    """Correction applied since the last tare (newtons subtracted from the readings)."""
    _loaded_at: float = float("-inf")
    _last_t: float | None = None
    _bins: deque[list[float]] = field(default_factory=deque)
    """0.1 s bins [t_first, min, max, sum, count] of the corrected force inside the window: the
    cost per batch stays constant (about 20 bins) however fast the sensor is."""

    BIN_S: ClassVar[float] = 0.1

    def reset(self) -> None:
        """After a tare (or a new sensor): start afresh."""
        self.total_n = 0.0
        self._bins.clear()
        self._last_t = None

    def update(self, t_s: np.ndarray, force_n: np.ndarray) -> float:
        """Feed a calibrated batch; return the newtons to take off the zero from now on."""
        if len(t_s) == 0:
            return 0.0
        t_end = float(t_s[-1])
        dt = 0.0 if self._last_t is None else max(0.0, t_end - self._last_t)
        self._last_t = t_end
        lo, hi = float(force_n.min()), float(force_n.max())
        if max(-lo, hi) > self.band_n:
            self._loaded_at = t_end
            self._bins.clear()
            return 0.0
        bins = self._bins
        if bins and float(t_s[0]) - bins[-1][0] < self.BIN_S:
            last = bins[-1]
            last[1], last[2] = min(last[1], lo), max(last[2], hi)
            last[3] += float(force_n.sum())
            last[4] += len(t_s)
        else:
            bins.append([float(t_s[0]), lo, hi, float(force_n.sum()), len(t_s)])
        while bins[0][0] < t_end - self.window_s:
            bins.popleft()
        if t_end - self._loaded_at < self.holdoff_s or t_end - bins[0][0] < 0.9 * self.window_s:
            return 0.0
        if max(b[2] for b in bins) - min(b[1] for b in bins) > self.steady_n:
            return 0.0
        mean = sum(b[3] for b in bins) / sum(b[4] for b in bins)
        limit = self.rate_n_per_s * dt
        step = min(max(mean, -limit), limit)
        total = min(max(self.total_n + step, -self.max_total_n), self.max_total_n)
        step = total - self.total_n
        if step:
            self.total_n = total
            for b in bins:  # the window now describes the corrected signal: no overshoot
                b[1] -= step
                b[2] -= step
                b[3] -= step * b[4]
        return step


_SAVE_LOCK = threading.Lock()


class CalibrationStore:
    """``data_dir/calibrations.json``: {sensor_id: calibration dict}, written atomically."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "calibrations.json"

    def _read(self, for_saving: bool = False) -> dict[str, dict[str, object]]:
        """The stored entries; ``{}`` when there is no file. A damaged file (not JSON, not an
        object) is renamed aside, never overwritten by the next save with only one sensor: the
        other sensors' calibrations may still be recovered from it by hand."""
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return {}
        except OSError as exc:  # unreadable: run uncalibrated, but never write over it
            if for_saving:
                raise CalibrationError(f"cannot read {self.path}: {exc}; not saved") from exc
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            return data
        if self._keep_aside() is None and for_saving:
            raise CalibrationError(
                f"{self.path} is damaged and could not be moved aside; not saved"
            )
        return {}

    def _keep_aside(self) -> Path | None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for n in range(1000):
            aside = self.path.with_name(
                f"{self.path.name}.damaged-{stamp}" + (f"-{n}" if n else "")
            )
            if not aside.exists():
                break
        try:
            os.replace(self.path, aside)
        except OSError as exc:
            log.error(
                "calibrations file %s is damaged and cannot be moved aside: %s", self.path, exc
            )
            return None
        log.error("calibrations file %s was damaged; kept as %s", self.path, aside)
        return aside

    def load_first(self, *sensor_ids: str | None) -> tuple[Calibration, str] | None:
        """The stored calibration of the first of ``sensor_ids`` that has one, with that id."""
        data = self._read()
        for sid in sensor_ids:
            d = data.get(sid) if sid else None
            if isinstance(d, dict):
                return Calibration.from_dict(d), sid  # type: ignore[return-value]
        return None

    def sensor_ids(self) -> list[str]:
        """Every sensor identity with a stored calibration."""
        return list(self._read())

    def load(self, sensor_id: str) -> Calibration | None:
        found = self.load_first(sensor_id)
        return found[0] if found else None

    def save(self, cal: Calibration) -> None:
        """Replace this sensor's entry, keeping every other sensor's.

        Tare, add-point and fit each save from their own worker thread: the read-modify-write is
        serialised (one lock for every store in the process, as they may share a file), and each
        write goes through its own temporary file, so a concurrent save can neither drop another
        sensor's entry nor rename a temporary file away from under it.
        """
        if cal.sensor_id is None:
            return
        with _SAVE_LOCK:
            data = self._read(for_saving=True)  # a damaged file is moved aside, not overwritten
            data[cal.sensor_id] = cal.to_dict()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", dir=self.path.parent, prefix=".calibrations-", suffix=".tmp", delete=False
            ) as tmp:
                tmp.write(json.dumps(data, indent=2))
            try:
                os.replace(tmp.name, self.path)
            except BaseException:
                Path(tmp.name).unlink(missing_ok=True)
                raise
