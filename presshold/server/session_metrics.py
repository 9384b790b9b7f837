"""Hold metrics of a stored session: ``analyze``'s computation over its trace, cached when done.

``analyze(t, f, params)`` is one ``LivePipeline.process`` over the whole trace plus ``finish()``;
the pipeline gives the same result for any block size (its state is carried between calls), so it
is fed the store's blocks one after another here: an 8 h, 1 kHz session is analysed in bounded
memory instead of as 28.8 M-sample arrays. The session's own settings (copied into its row when it
started) define the band, so the numbers do not change when someone edits today's target. A
finished session's analysis is saved in its row and reused while its sample count is unchanged.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from presshold.server.store import SessionStore
from presshold.signal import Analysis, HoldParams, LivePipeline

STATE_NAMES = ("idle", "under", "in_band", "over")  # BlockResult.state_code 0..3 (docs/holds.md)
DEFAULTS = {"target_n": 30.0, "tolerance_n": 3.0, "hold_s": 30.0, "grace_s": 0.5, "min_hold_s": 1.0}


def hold_params(settings: dict[str, Any] | None) -> HoldParams:
    s = {**DEFAULTS, **{k: v for k, v in (settings or {}).items() if v is not None}}
    return HoldParams(
        float(s["target_n"]),
        float(s["tolerance_n"]),
        float(s["hold_s"]),
        grace_s=float(s["grace_s"]),
        min_hold_s=float(s["min_hold_s"]),
    )


def plain(value: Any) -> Any:
    """JSON-safe: NumPy scalars to Python, NaN/inf to ``None`` (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def session_metrics(store: SessionStore, meta: dict[str, Any], recording: bool) -> dict[str, Any]:
    """``{"metrics": flat summary (counts, times, peak), "analysis": Analysis.to_dict()}``."""
    sid, n = meta["id"], int(meta.get("samples") or 0)
    cached = store.cached_metrics(sid, n)
    if cached is not None:
        return cached
    pipe = LivePipeline(hold_params(meta.get("settings")))
    count, total, peak = 0, 0.0, -np.inf
    for t, f, _ in store.iter_samples(sid):
        pipe.process(t, f)
        count, total, peak = count + f.size, total + float(f.sum()), max(peak, float(f.max()))
    result: dict[str, Any]
    if count == 0:
        result = {"metrics": {"samples": 0, "holds": 0, "holds_completed": 0}, "analysis": None}
    else:
        events = pipe.finish()
        s = pipe.summary()
        a = Analysis(pipe.holds, pipe.alerts, s, s.sample_rate_hz or pipe.sample_rate_hz, events)
        summary = s.to_dict()
        metrics = {
            **{k: v for k, v in summary.items() if not isinstance(v, list | dict)},
            "sample_rate_hz": a.sample_rate_hz,
            "samples": count,
            "peak_n": peak,
            "mean_n": total / count,
        }
        result = plain({"metrics": metrics, "analysis": a.to_dict()})
    if not recording and n:
        store.save_metrics(sid, n, result)
    return result
