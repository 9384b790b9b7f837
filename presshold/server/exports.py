"""CSV (every sample, ``#`` metadata header) and JSON (metadata + events) session exports."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import numpy as np

CSV_COLUMNS = "t_s,force_n,raw"
CHUNK = 20_000


def csv_lines(meta: dict[str, Any], t: np.ndarray, f: np.ndarray, raw: np.ndarray) -> Iterator[str]:
    """Streamed so an 8 h, 1 kHz session never has to sit in memory as one string."""
    yield "# presshold session export\n"
    for key in ("id", "started_at", "ended_at", "duration_s", "label", "notes", "sensor"):
        yield f"# {key}: {meta.get(key)}\n"
    yield f"# settings: {json.dumps(meta.get('settings'))}\n"
    yield f"# calibration: {json.dumps(meta.get('calibration'))}\n"
    yield f"# samples: {len(t)}\n"
    yield CSV_COLUMNS + "\n"
    for i in range(0, len(t), CHUNK):
        buf = io.StringIO()
        block = np.column_stack([t[i : i + CHUNK], f[i : i + CHUNK], raw[i : i + CHUNK]])
        np.savetxt(buf, block, fmt=["%.6f", "%.4f", "%.6g"], delimiter=",")
        yield buf.getvalue()


def json_export(meta: dict[str, Any], t: np.ndarray, f: np.ndarray) -> dict[str, Any]:
    return {
        **meta,
        "samples": len(t),
        "force_n_max": float(f.max()) if len(f) else None,
        "force_n_mean": float(f.mean()) if len(f) else None,
    }
