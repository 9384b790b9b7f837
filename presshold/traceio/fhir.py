"""An HL7 FHIR R4 Bundle for a session: a ``Device`` and one ``Observation``.

Written by hand as plain JSON (no FHIR library at run time: the shape is small and fixed, and
the tests validate it with ``fhir.resources``). The mapping is documented in ``docs/exports.md``:

- ``Observation.component[0]`` carries the force trace as ``valueSampledData`` (UCUM ``N``,
  ``period`` in milliseconds, ``origin`` 0 N). FHIR sampled data is evenly spaced, while the
  recorded samples are host-stamped (jitter, USB bursts, gaps), so the trace is put on a uniform
  grid: each value is the mean force of the samples within half a period of its grid time (a
  boxcar that also keeps a 1 kHz trace from aliasing when it is brought to 100 Hz), an empty
  grid point inside a recorded stretch is interpolated from its neighbours, and one inside a gap
  in the recording is ``E`` (FHIR's "no valid value"). The period is the recorded sample period,
  but never below 10 ms: voluntary force lies below 4 Hz and tremor at 8–12 Hz, so 100 Hz keeps
  everything a clinician reads while keeping an 8 h record near 20 MB; past 3 M values (8.3 h)
  the period grows so that no trace makes a larger record.
- further components: the hold metrics (holds, completed holds, presses, time in band, mean CV,
  alerts, peak force) and the target band in force at the start.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable
from typing import Any

import numpy as np

from presshold.traceio.columns import TraceBlock

UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
MIN_PERIOD_S = 0.010
MAX_POINTS = 3_000_000  # 8.3 h at 100 Hz; longer traces get a longer period
GAP_PERIODS = 5.0  # an empty stretch longer than this many periods is a gap (E), not jitter
GAP_MIN_S = 0.05
DECIMALS = 3


def _quantity(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"value": round(float(value), 6), "unit": unit, "system": UCUM, "code": code}


class _Grid:
    """Streaming bin sums on a uniform grid (bounded by the grid size, not the sample count)."""

    def __init__(self, span_s: float) -> None:
        """``span_s``: the trace's duration (an upper bound): the period grows so that the grid
        never has more than MAX_POINTS values, whatever gaps the trace has."""
        self.min_period = max(MIN_PERIOD_S, float(span_s) / MAX_POINTS)
        self.t0: float | None = None
        self.period: float | None = None
        self.sums: list[np.ndarray] = []
        self.counts: list[np.ndarray] = []
        self.first: list[int] = []

    def add(self, t: np.ndarray, f: np.ndarray) -> None:
        if t.size == 0:
            return
        if self.t0 is None or self.period is None:
            step = float(np.median(np.diff(t))) if t.size > 1 else MIN_PERIOD_S
            self.t0 = float(t[0])
            self.period = round(max(step, self.min_period), 4)  # 0.1 ms resolution
        k = np.rint((t - self.t0) / self.period).astype(np.int64)
        if k[-1] > 2 * MAX_POINTS:
            raise ValueError(f"trace longer than its stated span ({t[-1] - self.t0:.0f} s)")
        lo = int(k[0])
        self.first.append(lo)
        self.sums.append(np.bincount(k - lo, weights=f))
        self.counts.append(np.bincount(k - lo))

    def values(self) -> list[float | None]:
        """Mean per grid point; interpolated inside a recorded stretch; None in a gap."""
        if not self.first or self.period is None:
            return []
        size = max(a + s.size for a, s in zip(self.first, self.sums, strict=True))
        sums, counts = np.zeros(size), np.zeros(size)
        for a, s, c in zip(self.first, self.sums, self.counts, strict=True):
            sums[a : a + s.size] += s
            counts[a : a + c.size] += c
        full = np.flatnonzero(counts > 0)
        means = sums[full] / counts[full]
        out = np.interp(np.arange(size), full, means)
        gap_bins = max(GAP_PERIODS, GAP_MIN_S / self.period)
        nxt = np.searchsorted(full, np.arange(size))  # index of the next non-empty bin
        prev = np.clip(nxt - 1, 0, full.size - 1)
        nxt = np.clip(nxt, 0, full.size - 1)
        gap = (counts == 0) & ((full[nxt] - full[prev]) > gap_bins)
        return [None if g else float(v) for v, g in zip(out, gap, strict=True)]


def sampled_data(blocks: Iterable[TraceBlock], span_s: float) -> dict[str, Any] | None:
    """``valueSampledData`` of the force trace (None for a session without samples)."""
    grid = _Grid(span_s)
    for b in blocks:
        grid.add(np.asarray(b.t_s, float), np.asarray(b.force_n, float))
    values = grid.values()
    if not values or grid.period is None:
        return None
    data = " ".join("E" if v is None else f"{v:.{DECIMALS}f}" for v in values)
    return {
        "origin": _quantity(0.0, "N", "N"),
        "period": round(grid.period * 1000.0, 4),
        "factor": 1,
        "dimensions": 1,
        "data": data,
    }


def _component(text: str, **value: Any) -> dict[str, Any]:
    return {"code": {"text": text}, **value}


def _metric_components(metrics: dict[str, Any], settings: dict[str, Any]) -> list[dict]:
    m = metrics.get("metrics") or {}
    summary = (metrics.get("analysis") or {}).get("summary") or {}
    comps = []
    for key, text in (
        ("holds", "Holds"),
        ("holds_completed", "Holds completed"),
        ("presses", "Presses"),
        ("alerts", "Tolerance alerts"),
    ):
        v = m.get(key, summary.get(key))
        if v is not None:
            comps.append(_component(text, valueInteger=int(v)))
    tib = m.get("time_in_band_s", summary.get("time_in_band_s"))
    if tib is not None:
        comps.append(_component("Time in band", valueQuantity=_quantity(tib, "s", "s")))
    cv = summary.get("mean_cv", m.get("mean_cv"))
    if cv is not None and math.isfinite(float(cv)):
        comps.append(
            _component(
                "Mean coefficient of variation of force over holds (steadiness)",
                valueQuantity=_quantity(cv, "1", "1"),
            )
        )
    peak = m.get("peak_n")
    if peak is not None:
        comps.append(_component("Peak force", valueQuantity=_quantity(peak, "N", "N")))
    target, tol = settings.get("target_n"), settings.get("tolerance_n")
    if target is not None and tol is not None:
        comps.append(
            _component(
                "Target band at the start of the session",
                valueRange={
                    "low": _quantity(target - tol, "N", "N"),
                    "high": _quantity(target + tol, "N", "N"),
                },
            )
        )
    return comps


def _device(meta: dict[str, Any]) -> dict[str, Any]:
    cal = meta.get("calibration") or {}
    sensor = str(meta.get("sensor") or cal.get("sensor") or "unknown sensor")
    device: dict[str, Any] = {
        "resourceType": "Device",
        "status": "active",
        "deviceName": [{"name": sensor, "type": "user-friendly-name"}],
        "type": {"text": "Force sensor (load cell) streaming to PressHold"},
    }
    if cal:
        device["note"] = [{"text": f"PressHold calibration: {json.dumps(cal, sort_keys=True)}"}]
    return device


def bundle(
    meta: dict[str, Any], metrics: dict[str, Any], blocks: Iterable[TraceBlock]
) -> dict[str, Any]:
    """The Bundle (type ``collection``): Device first, then the Observation that references it."""
    device_url, obs_url = (f"urn:uuid:{uuid.uuid4()}" for _ in range(2))
    settings = meta.get("settings") or {}
    components: list[dict[str, Any]] = []
    trace = sampled_data(blocks, float(meta.get("duration_s") or 0.0))
    if trace is not None:
        components.append(
            _component("Applied force (calibrated, unfiltered)", valueSampledData=trace)
        )
    components += _metric_components(metrics, settings)
    effective: dict[str, Any] = {"start": meta["started_at"]}
    if meta.get("ended_at") and meta["ended_at"] != "recovered":
        effective["end"] = meta["ended_at"]
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "identifier": [{"system": "urn:presshold:session", "value": str(meta["id"])}],
        "status": "final" if meta.get("ended_at") else "preliminary",
        "category": [
            {"coding": [{"system": CATEGORY, "code": "procedure", "display": "Procedure"}]}
        ],
        "code": {"text": "Sustained manual pressure (ischemic compression) session, PressHold"},
        "effectivePeriod": effective,
        "device": {"reference": device_url},
        "component": components,
    }
    notes = [f"{k}: {meta[k]}" for k in ("label", "notes", "imported_from") if meta.get(k)]
    if notes:
        obs["note"] = [{"text": n} for n in notes]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": effective.get("end", effective["start"]),
        "entry": [
            {"fullUrl": device_url, "resource": _device(meta)},
            {"fullUrl": obs_url, "resource": obs},
        ],
    }
