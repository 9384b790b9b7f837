"""Everything about one client as a zip of JSON and CSV (the right of access, and a practice
changing software).

``client.json`` holds the record and every session with its events and analysis; the CSVs hold
the same for a spreadsheet (``sessions.csv``, ``events.csv``) and ``samples/<session>.csv`` every
recorded sample. The zip is written to a file, session by session and sample block by block, so
a client with many hours of 1 kHz recordings never has to fit in memory.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from presshold.clinic.clients import Client, now_iso
from presshold.traceio.csv_safe import csv_row, header_row

SESSION_COLUMNS = (
    "session_id", "started_at", "ended_at", "duration_s", "label", "notes", "station_name",
    "samples", "holds", "holds_completed", "time_in_band_s", "peak_n", "mean_n",
)  # fmt: skip
EVENT_COLUMNS = ("session_id", "t_s", "kind", "label", "side", "level", "site", "value_n", "data")
_EVENT_FIELDS = ("label", "side", "level", "site", "value_n")


def session_rows(sessions: Iterable[dict[str, Any]]) -> Iterable[list[object]]:
    for s in sessions:
        m = s.get("metrics") or {}
        yield [
            s["id"], s.get("started_at"), s.get("ended_at"), s.get("duration_s"), s.get("label"),
            s.get("notes"), s.get("station_name"), m.get("samples", s.get("samples")),
            m.get("holds"), m.get("holds_completed"), m.get("time_in_band_s"), m.get("peak_n"),
            m.get("mean_n"),
        ]  # fmt: skip


def event_rows(sessions: Iterable[dict[str, Any]]) -> Iterable[list[object]]:
    """One row per event; the common fields get columns, the rest stays as JSON in ``data``."""
    for s in sessions:
        for e in s.get("events", []):
            rest = {k: v for k, v in e.items() if k not in ("t_s", "kind", *_EVENT_FIELDS)}
            yield [
                s["id"], e["t_s"], e["kind"], *(e.get(k) for k in _EVENT_FIELDS),
                json.dumps(rest, sort_keys=True) if rest else None,
            ]  # fmt: skip


def write_client_zip(
    path: Path,
    client: Client,
    sessions: list[dict[str, Any]],
    samples_csv: Callable[[dict[str, Any]], Iterable[str]],
    extra: dict[str, Any] | None = None,
) -> None:
    """Write the export to ``path``; ``samples_csv(session)`` yields a session's sample CSV."""
    record = {
        "format": "presshold-client-export",
        "version": 1,
        "exported_at": now_iso(),
        "client": client.model_dump(mode="json"),
        "sessions": sessions,
        **(extra or {}),
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("client.json", json.dumps(record, indent=1, ensure_ascii=False, default=str))
        z.writestr("sessions.csv", _csv(SESSION_COLUMNS, session_rows(sessions)))
        z.writestr("events.csv", _csv(EVENT_COLUMNS, event_rows(sessions)))
        for s in sessions:
            with z.open(f"samples/{s['id']}.csv", "w", force_zip64=True) as f:
                for chunk in samples_csv(s):
                    f.write(chunk.encode("utf-8"))


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Through the project's one CSV writer: quoted, formula-neutralised text cells."""
    return header_row(header) + "".join(csv_row(r) for r in rows)
