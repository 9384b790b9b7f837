"""Trace reads for the session page: every sample when few, else a min/max envelope — of the
glitch-guarded force, with the glitches returned as marks.

The envelope keeps, per bucket, the lowest and highest force (so a spike or a slip is never
averaged away) and the time of the bucket's first sample. That is exactly why a sensor glitch
(an HX711 garbage code of ±8 M counts reads as thousands of newtons) must not reach it: one such
sample set the page's scale to −4000…4000 N and flattened a session of 25 N holds (issue 11).
So the samples go through the signal core's own :class:`GlitchGuard` with the threshold the
live pipeline used (the session's target at that time), and the replaced samples' times come
back as ``glitch_t_s`` for the page to mark. The raw values stay in the store and the export.

Small ranges use equal-count buckets on arrays in memory; long ones stream the store's blocks
into equal-time buckets, so a whole 8 h, 1 kHz session is drawn without loading its 28.8 M
samples at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from presshold.server.session_metrics import settings_changes
from presshold.server.store_api import SessionStoreAPI
from presshold.signal.filters import GlitchGuard, glitch_threshold
from presshold.treatment import hold_params

IN_MEMORY_MAX = 500_000  # samples read at once (12 MB of float64 for t, force and raw)
LOOK_BEHIND_S = 1.0  # read this much before the range: the guard needs the samples before it
GLITCH_MARKS_MAX = 2_000  # a loose wire makes thousands; the page needs only where

Block = tuple[np.ndarray, np.ndarray, np.ndarray]


def read_trace(
    store: SessionStoreAPI, sid: str, from_s: float | None, to_s: float | None, max_points: int
) -> dict[str, Any]:
    meta = store.get_session(sid) or {}
    upper, first, last = store.extent(sid, from_s, to_s)
    glitches: list[float] = []
    ahead = None if from_s is None else from_s - LOOK_BEHIND_S
    if upper <= IN_MEMORY_MAX:
        t, f, raw = store.samples(sid, ahead, to_s)
        parts = list(guarded(meta, [(t, f, raw)], from_s, glitches))
        t, f = (parts[0][0], parts[0][1]) if parts else (np.empty(0), np.empty(0))
        marks = glitches[:GLITCH_MARKS_MAX]
        if len(t) <= max_points:
            return {
                "t_s": t.tolist(),
                "min_n": f.tolist(),
                "max_n": f.tolist(),
                "decimated": False,
                "glitch_t_s": marks,
            }
        edges = np.linspace(0, len(t), max_points + 1).astype(int)[:-1]
        t0, lo, hi = t[edges], np.minimum.reduceat(f, edges), np.maximum.reduceat(f, edges)
    else:
        start = first if from_s is None else max(from_s, first or from_s)
        end = last if to_s is None else min(to_s, last or to_s)
        blocks = guarded(meta, store.iter_samples(sid, from_s=ahead, to_s=to_s), from_s, glitches)
        t0, lo, hi = envelope(blocks, float(start or 0.0), float(end or 0.0), max_points)
        marks = glitches[:GLITCH_MARKS_MAX]
    return {
        "t_s": t0.tolist(),
        "min_n": lo.tolist(),
        "max_n": hi.tolist(),
        "decimated": True,
        "glitch_t_s": marks,
    }


def guarded(
    meta: dict[str, Any], blocks: Iterable[Block], from_s: float | None, glitches: list[float]
) -> Iterator[Block]:
    """The blocks with their force glitch-guarded as the live pipeline did (threshold from the
    settings in force: the session's, then each ``settings`` event's); samples before ``from_s``
    only prime the guard. Appends the times of replaced samples to ``glitches``."""
    guard = GlitchGuard()
    changes = settings_changes(meta)
    threshold = glitch_threshold(hold_params(meta.get("settings")).target_n)
    for t, f, raw in blocks:
        if t.size == 0:
            continue
        out = np.empty_like(f)
        start = 0
        while start < t.size:
            while changes and changes[0][0] < t[start]:  # in force from the next sample on
                threshold = glitch_threshold(changes.pop(0)[1].target_n)
            stop = t.size
            if changes:
                stop = max(start + 1, int(np.searchsorted(t, changes[0][0], side="right")))
            out[start:stop], replaced = guard.clean(f[start:stop], threshold)
            if replaced is not None:
                glitches.extend(t[start:stop][replaced].tolist())
            start = stop
        if from_s is not None and t[0] < from_s:
            keep = int(np.searchsorted(t, from_s, side="left"))
            t, out, raw = t[keep:], out[keep:], raw[keep:]
            if glitches:
                glitches[:] = [g for g in glitches if g >= from_s]
        if t.size:
            yield t, out, raw


def envelope(
    blocks: Iterable[Block],
    start: float,
    end: float,
    buckets: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Equal-time buckets over ``[start, end]``, filled block by block (time-ordered blocks)."""
    edges = np.linspace(start, max(end, start + 1e-9), buckets + 1)
    first = np.full(buckets, np.inf)
    lo = np.full(buckets, np.inf)
    hi = np.full(buckets, -np.inf)
    for t, f, _ in blocks:
        if t.size == 0:
            continue
        idx = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, buckets - 1)
        starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])  # idx is sorted: runs
        b = idx[starts]
        first[b] = np.minimum(first[b], t[starts])
        lo[b] = np.minimum(lo[b], np.minimum.reduceat(f, starts))
        hi[b] = np.maximum(hi[b], np.maximum.reduceat(f, starts))
    keep = np.isfinite(first)
    return first[keep], lo[keep], hi[keep]
