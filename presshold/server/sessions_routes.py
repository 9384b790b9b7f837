"""``/api/sessions…``: list, start/stop, metadata, marks, trace, exports, trace import."""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from presshold.server import api_models, exports
from presshold.server.live import LiveHub
from presshold.server.session_metrics import session_metrics
from presshold.server.store import StoreMissing
from presshold.server.trace import read_trace


class SessionStart(BaseModel, extra="forbid"):
    label: str | None = Field(None, max_length=200)
    notes: str | None = Field(None, max_length=5000)


class SessionPatch(SessionStart):
    pass


class Mark(BaseModel, extra="forbid"):
    label: str = Field(min_length=1, max_length=200)
    side: Literal["L", "R"] | None = None
    t_s: float | None = Field(None, ge=0, le=1e7)  # a sane session time (1e308 is 422)


def build_router(hub: Callable[[], LiveHub]) -> APIRouter:
    r = APIRouter(prefix="/api/sessions", tags=["sessions"])

    def recording(sid: str) -> bool:
        current = hub().recorder.session
        return current is not None and current["id"] == sid

    def load(sid: str) -> dict[str, Any]:
        """Stored metadata and events, after every earlier write is committed (blocking: call
        from a worker thread); if the store cannot write, the recording session from memory."""
        h = hub()
        h.recorder.store.sync()
        try:
            meta = h.recorder.store.get_session(sid)
            missing = f"no session {sid!r}"
        except StoreMissing as exc:  # no store file: the data directory is not writable
            meta, missing = None, str(exc)
        # StoreUnreadable (a corrupt file) propagates: 503 "session store unreadable: …"
        if meta is None and recording(sid) and h.recorder.session is not None:
            meta = {
                **h.session_meta(),
                **h.recorder.session,
                **{"ended_at": None, "duration_s": 0.0, "samples": 0, "events": [], "marks": []},
            }
        if meta is None:
            raise HTTPException(404, detail=missing)
        return meta

    def read_list() -> list[dict[str, Any]]:
        store = hub().recorder.store
        store.sync()
        try:
            return store.list_sessions()
        except StoreMissing:  # nothing recorded yet; StoreUnreadable → 503 with its message
            return []

    @r.get("", response_model=list[api_models.SessionListItem])
    async def list_sessions() -> list[dict[str, Any]]:
        """Ended sessions carry their cached analysis (made when they ended); the recording one
        shows the live pipeline's running time in band."""
        h = hub()
        rows = await asyncio.to_thread(read_list)
        current = h.recorder.session
        for row in rows:
            if current is not None and row["id"] == current["id"]:
                row["time_in_band_s"] = round(h.pipeline.summary().time_in_band_s, 3)
        return rows

    # Routes that change the recorder or talk to viewers are ``async``: they run on the event
    # loop, where the recorder and the hub live (no locks). Store reads run in threads.
    @r.post("", status_code=201, response_model=api_models.RecordingSession)
    async def start(body: SessionStart | None = None) -> dict[str, Any]:
        h = hub()
        h.drain()  # readings that arrived before this request stay with the previous session
        body = body or SessionStart()
        s = h.recorder.start(label=body.label, notes=body.notes, **h.session_meta())
        h.on_session_change()
        return s

    @r.post("/current/stop", response_model=api_models.RecordingSession)
    async def stop() -> dict[str, Any]:
        h = hub()
        h.drain()  # every reading that arrived before "stop" belongs to the session
        ended = h.recorder.stop(by_user=True)
        if ended is None:
            raise HTTPException(409, detail="no session is recording")
        h.on_session_change()
        await asyncio.to_thread(h.recorder.store.sync)  # an export right after sees it all
        return {**ended, "recording": False}

    @r.get("/{sid}", response_model=api_models.SessionDetail)
    def get(sid: str) -> dict[str, Any]:
        """Metadata, events, marks, and ``metrics``/``analysis`` from ``analyze`` on the trace."""
        meta = load(sid)
        return {**meta, **session_metrics(hub().recorder.store, meta, recording(sid))}

    @r.patch("/{sid}", response_model=api_models.SessionPatched, response_model_exclude_unset=True)
    async def patch(sid: str, body: SessionPatch) -> dict[str, Any]:
        await asyncio.to_thread(load, sid)
        fields = body.model_dump(exclude_unset=True)
        if fields:
            h = hub()
            h.recorder.store.update_session(sid, fields)
            if recording(sid) and h.recorder.session is not None:
                h.recorder.session.update(fields)  # viewers see the new label at once
                h.broadcast_status()
            await asyncio.to_thread(h.recorder.store.sync)  # a GET right after sees it
        return {"id": sid, **fields}

    @r.delete("/{sid}", status_code=204)
    async def delete(sid: str) -> None:
        h = hub()
        if recording(sid):
            raise HTTPException(409, detail="stop the recording session before deleting it")
        await asyncio.to_thread(load, sid)
        h.recorder.store.delete_session(sid)

    @r.post("/{sid}/marks", status_code=201, response_model=api_models.MarkAdded)
    async def mark(sid: str, body: Mark) -> dict[str, Any]:
        """A point label ("upper trapezius", L): stored, broadcast, shown as the current point."""
        h = hub()
        current = h.recorder.session
        if current is None or current["id"] != sid:
            raise HTTPException(409, detail="marks can only be added to the recording session")
        t = body.t_s if body.t_s is not None else time.monotonic() - h.recorder.t0
        data = {"label": body.label, "side": body.side}
        h.recorder.event(t, "mark", data)
        current["point"] = body.label + (f" {body.side}" if body.side else "")
        h.broadcast({"type": "event", "kind": "mark", "t_s": round(t, 4), **data})
        h.broadcast_status()
        return {"t_s": t, "kind": "mark", **data}

    @r.get("/{sid}/trace", response_model=api_models.Trace)
    def trace(
        sid: str,
        from_s: float | None = Query(None, ge=-1e7, le=1e7),
        to_s: float | None = Query(None, ge=-1e7, le=1e7),
        max_points: int = Query(2000, ge=10, le=100_000),
    ) -> dict[str, Any]:
        if from_s is not None and to_s is not None and from_s > to_s:
            raise HTTPException(422, detail="from_s must not be after to_s")
        load(sid)
        return read_trace(hub().recorder.store, sid, from_s, to_s, max_points)

    @r.get("/{sid}/export.csv")
    def export_csv(sid: str) -> StreamingResponse:
        meta = load(sid)
        blocks = hub().recorder.store.iter_samples(sid)
        headers = {"Content-Disposition": f'attachment; filename="presshold-{sid}.csv"'}
        return StreamingResponse(
            exports.csv_lines(meta, blocks), media_type="text/csv; charset=utf-8", headers=headers
        )

    @r.get("/{sid}/export.json")
    def export_json(sid: str) -> JSONResponse:
        meta = load(sid)
        metrics = session_metrics(hub().recorder.store, meta, recording(sid))
        headers = {"Content-Disposition": f'attachment; filename="presshold-{sid}.json"'}
        return JSONResponse(exports.json_export(meta, metrics), headers=headers)

    # ---- More export formats and trace import (issue 16; logic in exports.py, trace_import.py)
    def export_file(
        sid: str, fmt: str, write: Callable[[dict[str, Any], BinaryIO], object]
    ) -> StreamingResponse:
        """Write an export to an anonymous temporary file in this worker thread, then stream
        it: the file has no name (POSIX) and is gone when the response ends or is abandoned."""
        meta = load(sid)
        suffix, media = exports.FORMATS[fmt]
        fh = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the generator below
        try:
            write(meta, fh)
            size = fh.tell()
            fh.seek(0)
        except BaseException:
            fh.close()
            raise

        def chunks() -> Iterator[bytes]:
            with fh:
                while data := fh.read(1 << 20):
                    yield data

        headers = {
            "Content-Disposition": f'attachment; filename="presshold-{sid}.{suffix}"',
            "Content-Length": str(size),
        }
        return StreamingResponse(chunks(), media_type=media, headers=headers)

    @r.get("/{sid}/export.parquet", response_class=StreamingResponse)
    def export_parquet(sid: str) -> StreamingResponse:
        """Every sample, typed and compressed; the CSV's metadata as file key-value metadata."""
        store = hub().recorder.store
        return export_file(
            sid, "parquet", lambda m, fh: exports.write_parquet(m, store.iter_samples(sid), fh)
        )

    @r.get("/{sid}/export.mat", response_class=StreamingResponse)
    def export_mat(sid: str) -> StreamingResponse:
        """MATLAB v5: column vectors, events/marks struct arrays, a ``meta`` struct."""
        store = hub().recorder.store
        return export_file(
            sid, "mat", lambda m, fh: fh.write(exports.mat_bytes(m, store.iter_samples(sid)))
        )

    @r.get("/{sid}/export.fhir.json")
    def export_fhir(sid: str) -> JSONResponse:
        """HL7 FHIR R4 Bundle: a Device and an Observation (trace as SampledData, metrics)."""
        meta = load(sid)
        store = hub().recorder.store
        metrics = session_metrics(store, meta, recording(sid))
        bundle = exports.fhir_bundle(meta, metrics, store.iter_samples(sid))
        headers = {"Content-Disposition": f'attachment; filename="presshold-{sid}.fhir.json"'}
        return JSONResponse(bundle, headers=headers, media_type="application/fhir+json")

    @r.post(
        "/import",
        status_code=201,
        response_model=api_models.ImportedSession,
        responses={413: {"description": "over the import size limit"}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "the trace file itself (CSV, Parquet or a Serial Plotter log)",
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            }
        },
    )
    async def import_trace(
        request: Request,
        filename: str = Query(min_length=1, max_length=255),
        rate_hz: float | None = Query(None, gt=0, le=100_000),
    ) -> dict[str, Any]:
        """The request body is the file (CSV, Parquet or a Serial Plotter log), streamed to
        disk with a size limit; it becomes a stored session marked imported."""
        from presshold.errors import ConfigError, TraceFormatError
        from presshold.server import trace_import
        from presshold.traceio.read import read_trace

        filename = re.split(r"[\\/]", filename)[-1] or "upload"  # a name, never a path
        declared = request.headers.get("content-length")
        try:
            path = await trace_import.receive(
                request.stream(),
                int(declared) if declared and declared.isdigit() else None,
                Path(filename).suffix[:16],
            )
        except trace_import.ImportTooLarge as exc:
            raise HTTPException(413, detail=str(exc)) from None
        h = hub()
        try:
            trace = await asyncio.to_thread(read_trace, path, rate_hz=rate_hz, name=filename)
            meta, events = await asyncio.to_thread(
                trace_import.build_session, trace, filename, h.settings or {}
            )
            await asyncio.to_thread(
                trace_import.store_session, h.recorder.store, meta, events, trace
            )
        except TraceFormatError as exc:
            raise HTTPException(422, detail=str(exc)) from None
        except ConfigError as exc:  # e.g. settings columns no band can be made of
            raise HTTPException(422, detail=f"{filename}: {exc}") from None
        finally:
            path.unlink(missing_ok=True)
        if h.recorder.on_end is not None:
            h.recorder.on_end(meta["id"])  # analysed and cached now: the list shows its metrics
        return {"id": meta["id"], "label": meta["label"], "samples": int(trace.t_s.size)}

    return r
