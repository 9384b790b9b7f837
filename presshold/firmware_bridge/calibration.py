"""Linear calibration raw -> newtons, tare, known-weight fits, stored per sensor_id as JSON."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from presshold.errors import CalibrationError

G = 9.80665
UNIT_SCALE = {"N": 1.0, "kgf": G, "g": G / 1000.0}


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

    def apply(self, raw: np.ndarray) -> np.ndarray:
        return (np.asarray(raw, dtype=np.float64) - self.offset_raw) * self.scale_n_per_raw

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> Calibration:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in names})  # type: ignore[arg-type]


def default_for_unit(unit: str, sensor_id: str | None) -> Calibration:
    """Devices that already send N/kgf/g need only a unit conversion; raw counts start at 1:1."""
    return Calibration(scale_n_per_raw=UNIT_SCALE.get(unit, 1.0), sensor_id=sensor_id)


def fit(points: list[dict[str, float]], sensor_id: str | None) -> Calibration:
    """Least squares line through (raw, known_n) points (tare is the point at 0 N)."""
    if len(points) < 2 or len({p["known_n"] for p in points}) < 2:
        raise CalibrationError("need a tare and at least one known weight (two distinct loads)")
    raw = np.array([p["raw"] for p in points])
    n = np.array([p["known_n"] for p in points])
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


class CalibrationStore:
    """``data_dir/calibrations.json``: {sensor_id: calibration dict}, written atomically."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "calibrations.json"

    def _read(self) -> dict[str, dict[str, object]]:
        try:
            return dict(json.loads(self.path.read_text()))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}

    def load(self, sensor_id: str) -> Calibration | None:
        d = self._read().get(sensor_id)
        return Calibration.from_dict(d) if d else None

    def save(self, cal: Calibration) -> None:
        if cal.sensor_id is None:
            return
        data = self._read()
        data[cal.sensor_id] = cal.to_dict()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        os.replace(tmp, self.path)
