"""Session exports: CSV (``#`` metadata, every sample, filtered values and state) and JSON.

The CSV is produced block by block from the store and run through the same ``LivePipeline`` the
live view uses, so an 8 h, 1 kHz session streams out in bounded memory, and its filtered/state
columns are what the therapist saw (with the session's settings).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from presshold.server.jsonsafe import plain
from presshold.server.session_metrics import STATE_NAMES, replay, session_pipeline

CSV_COLUMNS = ("t_s", "force_n", "raw", "force_display_n", "force_detect_n", "state")
UNITS = (
    "t_s=s since started_at (host clock); force_n=N calibrated, unfiltered; "
    "raw=as sent by the sensor ({unit}); force_display_n=N, display filter; "
    "force_detect_n=N, hold-detection low-pass; state=idle|under|in_band|over"
)
_STATES = np.array(STATE_NAMES)


def _comment(key: str, value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(plain(value))
    return f"# {key}: {' '.join(str(text).splitlines())}\n"  # notes never break the comment


def csv_lines(
    meta: dict[str, Any], blocks: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]]
) -> Iterator[str]:
    """Yield the CSV a chunk at a time: metadata, header, then one row per recorded sample."""
    yield "# presshold session export (CSV, one row per recorded sample)\n"
    yield _comment("session_id", meta["id"])
    for key in (
        "started_at", "ended_at", "duration_s", "label", "notes", "sensor", "station_id",
        "station_name",
    ):  # fmt: skip
        yield _comment(key, meta.get(key))
    yield _comment("calibration", meta.get("calibration"))
    yield _comment("settings", meta.get("settings"))
    unit = (meta.get("calibration") or {}).get("unit") or "sensor units"
    yield _comment("units", UNITS.format(unit=unit))
    yield _comment("samples", meta.get("samples"))
    yield ",".join(CSV_COLUMNS) + "\n"
    pipe = session_pipeline(meta)
    for (t, f, raw), res in replay(pipe, meta, blocks):
        rows = zip(
            t.tolist(),
            f.tolist(),
            raw.tolist(),
            np.asarray(res.display).tolist(),
            np.asarray(res.detect).tolist(),
            _STATES[np.asarray(res.state_code, dtype=np.intp)].tolist(),
            strict=True,
        )
        yield "".join(
            f"{a:.6f},{b:.4f},{c:.10g},{d:.4f},{e:.4f},{s}\n" for a, b, c, d, e, s in rows
        )


def json_export(meta: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    """Metadata, events, marks and the hold analysis (the trace itself is in the CSV)."""
    return plain({**meta, **metrics})
