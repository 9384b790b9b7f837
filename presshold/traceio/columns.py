"""The columns of a session trace, shared by every export format (CSV, Parquet, MAT).

One row per recorded sample. Besides the samples and what the live view computed from them
(display/detection filters and the band state), every row carries the settings in force at that
sample — target, band edges, hold, grace and minimum hold — taken from the session's starting
settings and its mid-session ``settings`` events, switched at the very sample the live view
switched (:func:`presshold.server.session_metrics.replay`). A researcher with the file alone sees
which band each sample was judged against, and ``presshold analyze`` can replay it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from presshold.signal import HoldParams

STATE_NAMES = ("idle", "under", "in_band", "over")  # BlockResult.state_code 0..3 (docs/holds.md)

SAMPLE_COLUMNS = ("t_s", "force_n", "raw", "force_display_n", "force_detect_n", "state")
SETTINGS_COLUMNS = ("target_n", "band_lo_n", "band_hi_n", "hold_s", "grace_s", "min_hold_s")
COLUMNS = SAMPLE_COLUMNS + SETTINGS_COLUMNS

UNITS = {
    "t_s": "s since started_at (host clock)",
    "force_n": "N, calibrated, unfiltered (glitches included, as recorded)",
    "raw": "as sent by the sensor ({unit})",
    "force_display_n": "N, display low-pass (what the gauge showed)",
    "force_detect_n": "N, hold-detection low-pass",
    "state": "idle|under|in_band|over, the band state the live view showed",
    "target_n": "N, target in force at this sample",
    "band_lo_n": "N, lower band edge in force at this sample",
    "band_hi_n": "N, upper band edge in force at this sample",
    "hold_s": "s, hold time in force at this sample",
    "grace_s": "s, grace out of band before an alert, in force at this sample",
    "min_hold_s": "s, shortest stretch that counts as a hold, in force at this sample",
}


def units_text(unit: str) -> str:
    """One line describing every column (the CSV's ``# units`` row, the files' metadata)."""
    return "; ".join(f"{k}={v.format(unit=unit)}" for k, v in UNITS.items())


@dataclass(frozen=True)
class TraceBlock:
    """Consecutive samples judged under one set of settings (``params``)."""

    t_s: np.ndarray
    force_n: np.ndarray
    raw: np.ndarray
    display_n: np.ndarray
    detect_n: np.ndarray
    state_code: np.ndarray  # uint8, index into STATE_NAMES
    params: HoldParams

    def __len__(self) -> int:
        return int(self.t_s.size)


def settings_values(p: HoldParams) -> tuple[float, float, float, float, float, float]:
    """The values of SETTINGS_COLUMNS for one set of settings."""
    lo, hi = p.band
    return (p.target_n, lo, hi, p.hold_s, p.grace_s, p.min_hold_s)


def params_from_row(values: tuple[float, ...]) -> HoldParams:
    """HoldParams from one row of SETTINGS_COLUMNS (the band is target ± tolerance)."""
    target, lo, hi, hold, grace, min_hold = (float(v) for v in values)
    return HoldParams(target, (hi - lo) / 2, hold, grace_s=grace, min_hold_s=min_hold)


def settings_runs(settings: dict[str, np.ndarray]) -> list[tuple[int, HoldParams]]:
    """``(first row, params)`` of each run of equal settings in per-row settings columns.

    Column by column (an hour at 1 kHz is 3.6 M rows: stacking the six columns would page in
    ~170 MB of temporaries for what a few comparisons answer)."""
    cols = [np.asarray(settings[c], float) for c in SETTINGS_COLUMNS]
    if cols[0].size == 0:
        return []
    changed = np.zeros(cols[0].size - 1, bool)
    for c in cols:
        changed |= c[1:] != c[:-1]
    starts = [0, *(np.flatnonzero(changed) + 1).tolist()]
    return [(i, params_from_row(tuple(c[i] for c in cols))) for i in starts]
