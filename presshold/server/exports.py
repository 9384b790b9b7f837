"""Session exports: the stored session replayed into trace columns, then written by a format.

Each export runs the session's stored blocks through the same ``LivePipeline`` the live view
used, with the settings in force at each sample (:func:`session_metrics.replay`), so the
filtered, state and settings columns are what the therapist saw. The formats themselves live in
:mod:`presshold.traceio` (pure: columns and metadata in, bytes out).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from presshold.server.jsonsafe import plain
from presshold.server.session_metrics import replay, session_pipeline
from presshold.traceio import session_csv
from presshold.traceio.columns import TraceBlock

# pyarrow and scipy.io are imported by the exports that need them, not at server start.

Block = tuple[np.ndarray, np.ndarray, np.ndarray]

# format name → (file suffix, media type); the CLI's --format and the API's export.<suffix>
FORMATS = {
    "csv": ("csv", "text/csv; charset=utf-8"),
    "json": ("json", "application/json"),
    "parquet": ("parquet", "application/vnd.apache.parquet"),
    "mat": ("mat", "application/x-matlab-data"),
    "fhir": ("fhir.json", "application/fhir+json"),
}


def trace_blocks(meta: dict[str, Any], blocks: Iterable[Block]) -> Iterator[TraceBlock]:
    """The stored samples with the live view's per-sample outputs and settings."""
    pipe = session_pipeline(meta)
    for (t, f, raw), res in replay(pipe, meta, blocks):
        yield TraceBlock(
            t,
            f,
            raw,
            np.asarray(res.display, float),
            np.asarray(res.detect, float),
            np.asarray(res.state_code, np.uint8),
            pipe.params,  # the settings this piece was processed with
        )


def csv_lines(meta: dict[str, Any], blocks: Iterable[Block]) -> Iterator[str]:
    """The CSV a chunk at a time (bounded memory for any session length)."""
    return session_csv.csv_lines(meta, trace_blocks(meta, blocks))


def json_export(meta: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    """Metadata, events, marks and the hold analysis (the trace itself is in the CSV)."""
    return plain({**meta, **metrics})


def write_parquet(meta: dict[str, Any], blocks: Iterable[Block], sink: Any) -> None:
    """Parquet to a path or binary file object, one row group per stored chunk."""
    from presshold.traceio import parquet_io

    parquet_io.write(sink, session_csv.metadata(meta), trace_blocks(meta, blocks))


def mat_bytes(meta: dict[str, Any], blocks: Iterable[Block]) -> bytes:
    """A MATLAB v5 ``.mat`` file (whole trace in memory: MAT v5 cannot be streamed)."""
    from presshold.traceio import mat_io

    return mat_io.to_bytes(
        plain(session_csv.metadata(meta)),
        plain(meta.get("events") or []),
        plain(meta.get("marks") or []),
        trace_blocks(meta, blocks),
    )


def fhir_bundle(
    meta: dict[str, Any], metrics: dict[str, Any], blocks: Iterable[Block]
) -> dict[str, Any]:
    """An HL7 FHIR R4 Bundle: the Device and one Observation with the trace and hold metrics."""
    from presshold.traceio import fhir

    return fhir.bundle(plain(meta), plain(metrics), trace_blocks(meta, blocks))
