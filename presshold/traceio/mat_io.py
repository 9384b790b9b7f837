"""MATLAB ``.mat`` (v5) traces, written with SciPy.

Variables: one column vector per trace column (``t_s``, ``force_n``, ``raw``,
``force_display_n``, ``force_detect_n``, the settings columns), ``state`` as uint8 codes with
``state_names`` (a cell array of strings: code 0 is ``state_names{1}``), ``events`` and ``marks``
as struct arrays, and ``meta`` as a struct (``meta.settings.target_n`` …). MAT v5 has no
streaming writer, so the whole trace is held in memory: about 100 bytes per sample, 0.36 GB for
an hour at 1 kHz. For longer sessions, use Parquet.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import Any

import numpy as np
import scipy.io

from presshold.traceio.columns import SETTINGS_COLUMNS, STATE_NAMES, TraceBlock, settings_values

NUMERIC = ("t_s", "force_n", "raw", "force_display_n", "force_detect_n", *SETTINGS_COLUMNS)


def _columns(blocks: Iterable[TraceBlock]) -> dict[str, np.ndarray]:
    parts: dict[str, list[np.ndarray]] = {c: [] for c in (*NUMERIC, "state")}
    for b in blocks:
        n = len(b)
        for name, a in zip(
            NUMERIC[:5], (b.t_s, b.force_n, b.raw, b.display_n, b.detect_n), strict=True
        ):
            parts[name].append(np.asarray(a, float))
        for name, v in zip(SETTINGS_COLUMNS, settings_values(b.params), strict=True):
            parts[name].append(np.full(n, v))
        parts["state"].append(np.asarray(b.state_code, np.uint8))
    out = {}
    for name, chunks in parts.items():
        dtype = np.uint8 if name == "state" else float
        out[name] = (np.concatenate(chunks) if chunks else np.zeros(0, dtype)).reshape(-1, 1)
    return out


def _struct_value(v: Any) -> Any:
    """MAT has no null: ``None`` becomes an empty matrix; nested dicts become structs."""
    if v is None:
        return np.zeros((0, 0))
    if isinstance(v, dict):
        return {str(k): _struct_value(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return json.dumps(v, ensure_ascii=False)  # lists of mixed things: JSON text
    return v


def _records(items: list[dict[str, Any]], fields: tuple[str, ...]) -> np.ndarray:
    """A 1×N struct array with ``fields``; other keys of each item go into ``data`` as JSON."""
    dtype = [(f, object) for f in (*fields, "data")]
    arr = np.zeros((1, len(items)), dtype=dtype)
    for i, item in enumerate(items):
        for f in fields:
            arr[0, i][f] = _struct_value(item.get(f))
        rest = {k: v for k, v in item.items() if k not in fields}
        arr[0, i]["data"] = json.dumps(rest, ensure_ascii=False)
    return arr


def to_bytes(
    meta: dict[str, Any],
    events: list[dict[str, Any]],
    marks: list[dict[str, Any]],
    blocks: Iterable[TraceBlock],
) -> bytes:
    data: dict[str, Any] = _columns(blocks)
    data["state_names"] = np.array(STATE_NAMES, dtype=object).reshape(1, -1)
    data["events"] = _records(events, ("t_s", "kind"))
    data["marks"] = _records(marks, ("t_s", "label", "side"))
    data["meta"] = _struct_value(meta)
    buf = io.BytesIO()
    scipy.io.savemat(buf, data, do_compression=True, oned_as="column")
    return buf.getvalue()
