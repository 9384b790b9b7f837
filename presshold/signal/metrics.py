"""Technique metrics: per hold (steadiness, error, rise) and per session; JSON-ready dicts."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

_REDUCE_AFTER = 64  # chunks kept before folding them into running sums (bounded memory)


@dataclass
class HoldMetrics:
    """One hold. Force figures come from the detection signal (tremor removed)."""

    start_s: float
    end_s: float
    duration_s: float
    completed: bool
    mean_n: float
    sd_n: float
    cv: float
    rms_error_n: float
    peak_n: float
    min_n: float
    time_to_band_s: float | None
    rise_rate_n_per_s: float | None
    alerts: int
    end_reason: str
    target_n: float
    samples: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)  # flat fields: cheaper than asdict's deep copy


@dataclass
class AlertRecord:
    start_s: float  # when the signal went above/below the band
    end_s: float | None  # None while still open
    kind: str  # "over" | "under"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SessionSummary:
    presses: int = 0
    holds: int = 0
    holds_completed: int = 0
    alerts: int = 0
    alerts_over: int = 0
    alerts_under: int = 0
    glitches: int = 0
    gaps: int = 0
    duration_s: float = 0.0  # covered by samples (gaps excluded)
    pressing_s: float = 0.0
    time_in_band_s: float = 0.0
    time_over_s: float = 0.0
    time_under_s: float = 0.0
    samples: int = 0
    intervals: int = 0  # sample-to-sample steps counted in duration_s (for the mean rate)
    hold_cv: list[float] = field(default_factory=list, repr=False)

    @property
    def sample_rate_hz(self) -> float | None:
        return self.intervals / self.duration_s if self.duration_s > 0 else None

    @property
    def in_band_fraction(self) -> float | None:
        """Share of the pressing time spent inside the band."""
        return self.time_in_band_s / self.pressing_s if self.pressing_s > 0 else None

    @property
    def mean_cv(self) -> float | None:
        return float(np.mean(self.hold_cv)) if self.hold_cv else None

    def text(self) -> str:
        frac = self.in_band_fraction
        parts = [
            f"{self.presses} press{'es' if self.presses != 1 else ''}",
            f"{self.holds} hold{'s' if self.holds != 1 else ''} ({self.holds_completed} completed)",
            f"{self.alerts} alert{'s' if self.alerts != 1 else ''}"
            f" ({self.alerts_over} over, {self.alerts_under} under)",
            f"in band {self.time_in_band_s:.1f} s"
            + (f" = {100 * frac:.0f}% of pressing time" if frac is not None else ""),
            f"over {self.time_over_s:.1f} s",
        ]
        if self.mean_cv is not None:
            parts.append(f"mean CV {self.mean_cv:.3f}")
        if self.glitches:
            parts.append(f"{self.glitches} glitch{'es' if self.glitches != 1 else ''} removed")
        if self.gaps:
            parts.append(f"{self.gaps} gap{'s' if self.gaps != 1 else ''} in the data")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        del d["hold_cv"]
        d.update(
            sample_rate_hz=self.sample_rate_hz,
            in_band_fraction=self.in_band_fraction,
            mean_cv=self.mean_cv,
            text=self.text(),
        )
        return d


class HoldAccumulator:
    """Samples of one hold: chunks are kept as views and folded into sums now and then.

    Deviations are taken from the target fixed at hold start, which keeps the variance sum well
    conditioned and gives the RMS error directly.
    """

    def __init__(self, start_s: float, target_n: float) -> None:
        self.start_s = start_s
        self.target_n = target_n
        self.last_in_s = start_s
        self.confirmed = False  # reached min_hold: it is a hold
        self.completed = False
        self._chunks: list[np.ndarray] = []
        self._n = 0
        self._s1 = 0.0
        self._s2 = 0.0
        self._max = -math.inf
        self._min = math.inf

    def add(self, y: np.ndarray) -> None:
        self._chunks.append(y)
        if len(self._chunks) > _REDUCE_AFTER:
            self._fold()

    def _fold(self) -> None:
        if not self._chunks:
            return
        y = np.concatenate(self._chunks)
        self._chunks = []
        d = y - self.target_n
        self._n += y.size
        self._s1 += float(d.sum())
        self._s2 += float(d @ d)
        self._max = max(self._max, float(y.max()))
        self._min = min(self._min, float(y.min()))

    def metrics(
        self,
        *,
        time_to_band_s: float | None,
        rise_rate: float | None,
        alerts: int,
        end_reason: str,
    ) -> HoldMetrics:
        self._fold()
        n = max(self._n, 1)
        mean_d = self._s1 / n
        var = max(self._s2 / n - mean_d * mean_d, 0.0)
        mean = self.target_n + mean_d
        sd = math.sqrt(var)
        return HoldMetrics(
            start_s=self.start_s,
            end_s=self.last_in_s,
            duration_s=self.last_in_s - self.start_s,
            completed=self.completed,
            mean_n=mean,
            sd_n=sd,
            cv=sd / mean if mean > 0 else 0.0,
            rms_error_n=math.sqrt(self._s2 / n),
            peak_n=self._max,
            min_n=self._min,
            time_to_band_s=time_to_band_s,
            rise_rate_n_per_s=rise_rate,
            alerts=alerts,
            end_reason=end_reason,
            target_n=self.target_n,
            samples=self._n,
        )
