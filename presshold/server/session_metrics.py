"""Hold metrics of a stored session: ``analyze``'s computation over its trace, cached when done.

``analyze(t, f, params)`` is one ``LivePipeline.process`` over the whole trace plus ``finish()``;
the pipeline gives the same result for any block size (its state is carried between calls), so it
is fed the store's blocks one after another here: an 8 h, 1 kHz session is analysed in bounded
memory instead of as 28.8 M-sample arrays. The session's own settings (copied into its row when it
started, then its ``settings`` events where they were changed mid-session, applied after the
same sample as in the live view) define the band, so the numbers do not change when someone
edits today's target. A finished session's analysis is saved in its row and reused while its
sample count is unchanged (:mod:`presshold.server.metrics_worker` makes it when a session ends).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from presshold.server.jsonsafe import plain
from presshold.server.store_api import SessionStoreAPI
from presshold.signal import Analysis, HoldParams, LivePipeline
from presshold.signal.pipeline import BlockResult
from presshold.treatment import hold_params

STATE_NAMES = ("idle", "under", "in_band", "over")  # BlockResult.state_code 0..3 (docs/holds.md)


def settings_changes(meta: dict[str, Any]) -> list[tuple[float, HoldParams]]:
    """(time, params) of the session's mid-session ``settings`` events, in time order."""
    events = [e for e in meta.get("events") or [] if e.get("kind") == "settings"]
    return sorted(
        ((float(e["t_s"]), hold_params(e.get("settings"))) for e in events), key=lambda c: c[0]
    )


Block = tuple[np.ndarray, np.ndarray, np.ndarray]


def session_pipeline(meta: dict[str, Any]) -> LivePipeline:
    return LivePipeline(hold_params(meta.get("settings")))


def replay(
    pipe: LivePipeline, meta: dict[str, Any], blocks: Iterable[Block]
) -> Iterator[tuple[Block, BlockResult]]:
    """Feed a session's stored blocks to ``pipe`` (made by :func:`session_pipeline`) as the live
    view did: the starting settings, then each ``settings`` event's from the first sample after
    the event's time. Yields each (piece of a) block with its result."""
    changes = settings_changes(meta)
    for t, f, raw in blocks:
        if t.size == 0:
            continue
        start = 0
        while changes and changes[0][0] < t[-1]:
            cut = max(start, int(np.searchsorted(t, changes[0][0], side="right")))
            if cut > start:
                yield (
                    (t[start:cut], f[start:cut], raw[start:cut]),
                    pipe.process(t[start:cut], f[start:cut]),
                )
            pipe.set_params(changes.pop(0)[1])
            start = cut
        if start < t.size:
            yield (t[start:], f[start:], raw[start:]), pipe.process(t[start:], f[start:])


def session_metrics(
    store: SessionStoreAPI, meta: dict[str, Any], recording: bool
) -> dict[str, Any]:
    """``{"metrics": flat summary (counts, times, peak), "analysis": Analysis.to_dict()}``."""
    sid, n = meta["id"], int(meta.get("samples") or 0)
    cached = store.cached_metrics(sid, n)
    if cached is not None:
        return cached
    pipe = session_pipeline(meta)
    count, total, peak = 0, 0.0, -np.inf
    for _, res in replay(pipe, meta, store.iter_samples(sid)):  # glitch-guarded: issue 11
        f = res.clean
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
