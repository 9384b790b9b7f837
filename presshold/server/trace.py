"""Trace reads for the session page: every sample when few, else a min/max envelope.

The envelope keeps, per bucket, the lowest and highest force (so a spike or a slip is never
averaged away) and the time of the bucket's first sample. Small ranges use equal-count buckets on
arrays in memory; long ones stream the store's blocks into equal-time buckets, so a whole 8 h,
1 kHz session is drawn without loading its 28.8 M samples at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from presshold.server.store_api import SessionStoreAPI

IN_MEMORY_MAX = 500_000  # samples read at once (12 MB of float64 for t, force and raw)


def read_trace(
    store: SessionStoreAPI, sid: str, from_s: float | None, to_s: float | None, max_points: int
) -> dict[str, Any]:
    upper, first, last = store.extent(sid, from_s, to_s)
    if upper <= IN_MEMORY_MAX:
        t, f, _ = store.samples(sid, from_s, to_s)
        if len(t) <= max_points:
            return {"t_s": t.tolist(), "min_n": f.tolist(), "max_n": f.tolist(), "decimated": False}
        edges = np.linspace(0, len(t), max_points + 1).astype(int)[:-1]
        t0, lo, hi = t[edges], np.minimum.reduceat(f, edges), np.maximum.reduceat(f, edges)
    else:
        start = first if from_s is None else max(from_s, first or from_s)
        end = last if to_s is None else min(to_s, last or to_s)
        blocks = store.iter_samples(sid, from_s=from_s, to_s=to_s)
        t0, lo, hi = envelope(blocks, float(start or 0.0), float(end or 0.0), max_points)
    return {"t_s": t0.tolist(), "min_n": lo.tolist(), "max_n": hi.tolist(), "decimated": True}


def envelope(
    blocks: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]],
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
