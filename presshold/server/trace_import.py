"""Import a trace file as a stored session (the dashboard's Import on ``/sessions``).

The upload is streamed to a temporary file with a hard size limit (:data:`MAX_BYTES`, checked
against ``Content-Length`` first and again on every chunk, so a chunked upload cannot exceed it
either), read by :func:`presshold.traceio.read.read_trace` (our CSV or Parquet, a two-column
time/force CSV, a Serial Plotter log), and written to the store as **one** write: the session
row, its samples, and the events the live view would have recorded (settings changes, holds,
alerts), plus an ``imported`` event naming the source file. Either all of it is committed or,
when the store cannot write, it is deleted again: nothing half-imported is ever listed.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from presshold.errors import PressHoldError, StorageError
from presshold.server.recorder import new_session_id
from presshold.server.store import SessionStore
from presshold.traceio.read import Trace

MAX_MB_ENV = "PRESSHOLD_IMPORT_MAX_MB"
MAX_BYTES = int(float(os.environ.get(MAX_MB_ENV) or 256) * 1024 * 1024)
"""256 MiB by default: about 2 M rows of our CSV (7 h at 80 Hz), far more as Parquet."""
BLOCK = 50_000  # samples per stored block (the store's read chunk)


class ImportTooLarge(PressHoldError):
    """The upload is over :data:`MAX_BYTES`."""


def too_large_message() -> str:
    return f"the file is larger than the import limit of {MAX_BYTES // (1024 * 1024)} MiB"


async def receive(chunks: AsyncIterator[bytes], declared: int | None, suffix: str) -> Path:
    """Stream the body to a temporary file; ImportTooLarge (and no file) past the limit."""
    if declared is not None and declared > MAX_BYTES:
        raise ImportTooLarge(too_large_message())
    fd, name = tempfile.mkstemp(prefix="presshold-import-", suffix=suffix)
    path = Path(name)
    size = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            async for chunk in chunks:
                size += len(chunk)
                if size > MAX_BYTES:
                    raise ImportTooLarge(too_large_message())
                fh.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _started_at(trace: Trace) -> str:
    s = trace.meta.get("started_at")
    if isinstance(s, str) and s:
        return s
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ended_at(trace: Trace) -> str:
    """The original end for one of our exports; else the time of the import."""
    s = trace.meta.get("ended_at")
    if isinstance(s, str) and s and s != "recovered":
        return s
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _settings_dict(p: Any) -> dict[str, float]:
    return {
        "target_n": p.target_n,
        "tolerance_n": p.tolerance_n,
        "hold_s": p.hold_s,
        "grace_s": p.grace_s,
        "min_hold_s": p.min_hold_s,
    }


def build_session(
    trace: Trace, filename: str, fallback_settings: dict[str, Any]
) -> tuple[dict[str, Any], list[tuple[float, str, dict[str, Any]]]]:
    """The session row and its events for ``trace``; blocks come from the trace's arrays."""
    from presshold.server.session_metrics import hold_params
    from presshold.signal import analyze
    from presshold.traceio.read import trace_settings

    t = trace.t_s
    if "session_id" not in trace.meta:
        t = t - t[0]  # a foreign file's clock (millis, an epoch): session seconds from 0
        trace.t_s = t
    # The file's own settings (columns or metadata) when it has any — bad ones are an error
    # naming it —, else today's settings judge it.
    own = trace.settings is not None or isinstance(trace.meta.get("settings"), dict)
    fixed = None if own else hold_params(fallback_settings)
    params, changes = trace_settings(trace, fixed, filename)
    a = analyze(t, trace.force_n, params, changes=changes)
    label = trace.meta.get("label")
    meta = {
        "id": new_session_id(),
        "started_at": _started_at(trace),
        "ended_at": _ended_at(trace),
        "label": label if isinstance(label, str) and label else Path(filename).stem,
        "notes": trace.meta.get("notes") if isinstance(trace.meta.get("notes"), str) else None,
        "sensor": trace.sensor or f"imported file {filename}",
        "settings": _settings_dict(params),
        # The stored values are newtons ("raw" repeats them); the file's calibration is kept
        # for the record.
        "calibration": {"unit": "N", "imported_calibration": trace.meta.get("calibration")},
    }
    events: list[tuple[float, str, dict[str, Any]]] = [
        (0.0, "session_start", {}),
        (0.0, "imported", {"source": filename, "format": trace.kind}),
    ]
    for i, p in changes:  # at the last sample before the change, as the live hub records it
        events.append((float(t[i - 1]), "settings", {"settings": _settings_dict(p)}))
    events += [(float(e.t_s), e.kind, dict(e.data)) for e in a.events]
    events.append((float(t[-1]), "session_end", {}))
    return meta, events


def store_session(
    store: SessionStore,
    meta: dict[str, Any],
    events: list[tuple[float, str, dict[str, Any]]],
    trace: Trace,
) -> None:
    """One write: all of it, or (deleted again) none of it. StorageError when not stored."""
    sid = meta["id"]
    t, f = trace.t_s, trace.force_n
    raw = f  # a file is not a sensor: its values are already newtons

    def op(c: sqlite3.Connection) -> None:
        c.execute(
            "INSERT INTO sessions(id, started_at, ended_at, duration_s, label, notes, sensor, "
            "settings, calibration) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                sid,
                meta["started_at"],
                meta["ended_at"],
                float(t[-1]),
                meta["label"],
                meta["notes"],
                meta["sensor"],
                json.dumps(meta["settings"]),
                json.dumps(meta["calibration"]),
            ),
        )
        c.executemany(
            "INSERT INTO blocks VALUES (?,?,?,?,?,?,?)",
            (
                (
                    sid,
                    float(t[a]),
                    float(t[min(a + BLOCK, t.size) - 1]),
                    len(t[a : a + BLOCK]),
                    np.ascontiguousarray(t[a : a + BLOCK], "<f8").tobytes(),
                    np.ascontiguousarray(f[a : a + BLOCK], "<f8").tobytes(),
                    np.ascontiguousarray(raw[a : a + BLOCK], "<f8").tobytes(),
                )
                for a in range(0, t.size, BLOCK)
            ),
        )
        c.executemany(
            "INSERT INTO events VALUES (?,?,?,?)",
            ((sid, ts, kind, json.dumps(data)) for ts, kind, data in events),
        )

    store.submit(op, sid=sid)
    if not store.sync(timeout_s=60.0):
        store.delete_session(sid)
        store.sync(timeout_s=10.0)
        raise StorageError(f"not imported: {store.error or 'the session store cannot write'}")
