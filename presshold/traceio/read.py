"""Read force traces: our CSV and Parquet exports, two-column time/force CSVs, Serial Plotter logs.

What ``presshold analyze``, ``--source FILE`` replay and the dashboard's Import accept:

- **Parquet** (recognised by its ``PAR1`` magic): ``t_s`` and ``force_n`` (or ``force_kgf``/
  ``force_lbf``), plus the settings columns and metadata when PressHold wrote it.
- **CSV with a header** (``#`` comment lines first are allowed, ``# key,"value"`` ones are read as
  metadata): a time column — ``t_s``/``time_s``/``seconds`` in seconds, ``t_ms``/``millis`` in
  ms, ``t_us``/``micros`` in µs, or ``time``/``times``/``t``/``timestamp`` with the unit inferred
  from its steps —
  and a force column ``force_n``/``force_kgf``/``force_lbf`` (or, when the file has just two
  columns, the other one, in newtons). Other columns (text ones too) are ignored, except the
  settings columns of our export, which are kept. The data is parsed by pyarrow's multi-threaded
  CSV reader; only when that fails does a careful pass run, to name the offending line.
- **Serial Plotter log** (anything else): the lines a sensor sent, as read by the live parser
  (:class:`~presshold.firmware_bridge.protocol.LineParser`): protocol-v1 ``t_us:…`` readings with
  their device clock, or plain Serial-Plotter lines, which need the sample rate (from a
  ``# presshold …`` hello line, or given).

Every error is a :class:`TraceFormatError` naming the file and the line or column at fault.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from presshold.errors import TraceFormatError
from presshold.traceio.columns import SETTINGS_COLUMNS
from presshold.traceio.csv_read import FORCE_COLUMNS, read_csv_trace
from presshold.traceio.plotter_log import read_plotter
from presshold.traceio.trace import Trace, check_samples, sensor_of, trace_settings

__all__ = ["Trace", "read_trace", "trace_settings"]

PARQUET_MAGIC = b"PAR1"


def read_trace(
    path: Path | str,
    *,
    rate_hz: float | None = None,
    name: str | None = None,
    settings: bool = True,
) -> Trace:
    """Read any supported trace; ``rate_hz`` times a Serial Plotter log without a clock.

    ``name`` is what error messages call the file (the uploaded name rather than a temp path);
    ``settings=False`` skips the settings columns (faster when the caller fixes the settings)."""
    path = Path(path)
    label = name or str(path)
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise TraceFormatError(f"{label}: cannot read: {exc.strerror or exc}") from None
    if magic == PARQUET_MAGIC:
        trace = _read_parquet(path, label, settings)
    else:
        trace = read_csv_trace(path, label, settings) or read_plotter(path, label, rate_hz)
    if trace.kind != "csv":  # CSV traces were checked with line numbers
        check_samples(trace.t_s, trace.force_n, label, lambda row: f"sample {row + 1}")
    return trace


def _read_parquet(path: Path, label: str, want_settings: bool) -> Trace:
    import pyarrow as pa

    from presshold.traceio import parquet_io

    try:
        pf = parquet_io.open_file(path)
        schema = pf.schema_arrow
    except (pa.ArrowException, OSError) as exc:
        raise TraceFormatError(f"{label}: not a readable Parquet file: {exc}") from None
    names = schema.names
    if "t_s" not in names:
        raise TraceFormatError(f"{label}: the Parquet file has no t_s column (has {names})")
    fcol = next((c for c in FORCE_COLUMNS if c in names), None)
    if fcol is None:
        raise TraceFormatError(
            f"{label}: the Parquet file has no force_n, force_kgf or force_lbf column"
        )
    with_settings = want_settings and parquet_io.has_settings(schema)
    wanted = ["t_s", fcol, *(SETTINGS_COLUMNS if with_settings else ())]
    try:
        with pf:
            cols = parquet_io.read_columns(pf, wanted)
            meta = parquet_io.read_metadata(pf)
    except (pa.ArrowException, OSError) as exc:
        raise TraceFormatError(f"{label}: cannot read the Parquet data: {exc}") from None
    for c in ("t_s", fcol):
        if cols[c].dtype.kind not in "fiu":
            raise TraceFormatError(f"{label}: column {c} is not numeric ({cols[c].dtype})")
    settings = {c: cols[c] for c in SETTINGS_COLUMNS} if SETTINGS_COLUMNS[0] in cols else None
    scale = FORCE_COLUMNS[fcol]
    force = np.asarray(cols[fcol], float)
    return Trace(
        np.asarray(cols["t_s"], float),
        force if scale == 1.0 else force * scale,
        "parquet",
        meta,
        settings,
        sensor_of(meta),
    )
