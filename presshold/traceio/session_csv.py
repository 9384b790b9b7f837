"""The session CSV: ``#`` metadata rows, a header, then one row per recorded sample.

Produced a block at a time, so an 8 h, 1 kHz session streams out in bounded memory. Every text
cell goes through :mod:`presshold.traceio.csv_safe`; samples are written with ``repr`` (the
shortest text that reads back as the same float64), so the CSV round-trips exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from presshold.traceio.columns import COLUMNS, STATE_NAMES, TraceBlock, settings_values, units_text
from presshold.traceio.csv_safe import comment_row, header_row, number_cell, text_cell

FORMAT_TEXT = "presshold session export v2: CSV, one row per recorded sample; columns in # units"
META_KEYS = (
    "session_id",
    "started_at",
    "ended_at",
    "duration_s",
    "label",
    "notes",
    "sensor",
    "station_id",
    "station_name",
    "imported_from",
    "calibration",
    "settings",
)
_STATE_CELLS = np.array([text_cell(s) for s in STATE_NAMES])


def metadata(meta: dict[str, Any]) -> dict[str, Any]:
    """The session's metadata as exported (same keys in CSV, Parquet and MAT files)."""
    out: dict[str, Any] = {"session_id": meta["id"]}
    for key in META_KEYS[1:]:
        out[key] = meta.get(key)
    unit = (meta.get("calibration") or {}).get("unit") or "sensor units"
    out["units"] = units_text(unit)
    out["samples"] = meta.get("samples")
    return out


def csv_lines(meta: dict[str, Any], blocks: Iterable[TraceBlock]) -> Iterator[str]:
    """Yield the CSV a chunk at a time."""
    yield comment_row("format", FORMAT_TEXT)
    for key, value in metadata(meta).items():
        yield comment_row(key, value)
    yield header_row(COLUMNS)
    for b in blocks:
        # The settings are constant within a block: their cells are formatted once.
        tail = "," + ",".join(number_cell(float(v)) for v in settings_values(b.params)) + "\n"
        states = _STATE_CELLS[np.asarray(b.state_code, dtype=np.intp)].tolist()
        rows = zip(
            b.t_s.tolist(),
            b.force_n.tolist(),
            b.raw.tolist(),
            np.asarray(b.display_n).tolist(),
            np.asarray(b.detect_n).tolist(),
            states,
            strict=True,
        )
        yield "".join(f"{t!r},{f!r},{r!r},{d:.4f},{e:.4f},{s}{tail}" for t, f, r, d, e, s in rows)
