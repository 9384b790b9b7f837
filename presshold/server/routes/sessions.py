"""``/api/sessions…``: list, start/stop, metadata, marks, trace, exports (CSV, JSON, Parquet,
MATLAB, FHIR) and trace import."""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from presshold.errors import ConfigError, TraceFormatError
from presshold.server import api_models, exports, trace_import
from presshold.server.archive import SessionArchive
from presshold.server.clinic import ClinicDep
from presshold.server.deps import ArchiveDep, StationDep

router = APIRouter(prefix="/api/sessions", tags=["sessions"])


class SessionStart(BaseModel, extra="forbid"):
    label: str | None = Field(None, max_length=200)
    notes: str | None = Field(None, max_length=5000)


class SessionPatch(SessionStart):
    pass


class SessionStartFor(SessionStart):
    client_id: str | None = Field(None, max_length=64, description="the client it is for")


class Mark(BaseModel, extra="forbid"):
    label: str = Field(min_length=1, max_length=200)
    side: Literal["L", "R"] | None = None
    t_s: float | None = Field(None, ge=0, le=1e7)  # a sane session time (1e308 is 422)


StationFilter = Annotated[
    str | None, Query(alias="station", max_length=64, description="only this station's sessions")
]
ClientFilter = Annotated[
    str | None, Query(alias="client", max_length=64, description="only this client's sessions")
]


@router.get("", response_model=list[api_models.SessionListItem])
async def list_sessions(
    archive: ArchiveDep,
    clinic: ClinicDep,
    station: StationFilter = None,
    client: ClientFilter = None,
) -> list[dict[str, Any]]:
    """Newest first; ``?station=ID`` keeps one station's sessions, ``?client=ID`` one client's."""
    if station is not None:
        archive.stations.get(station)  # 404 for an unknown station, not an empty list
    if client is not None:
        await asyncio.to_thread(clinic.clients.get, client)
    return await asyncio.to_thread(archive.list, station, client)


# Routes that change a station are ``async``: they run on the event loop, where stations live
# (no locks). Store reads run in threads.
@router.post("", status_code=201, response_model=api_models.RecordingSession)
async def start(
    station: StationDep, clinic: ClinicDep, body: SessionStartFor | None = None
) -> dict[str, Any]:
    """Start recording at ``?station=ID`` (default: the first), ending its current session;
    with ``client_id`` the station is set to that client (presets applied) first."""
    body = body or SessionStartFor()
    if body.client_id is not None:
        await clinic.choose(station, body.client_id, claim=False)
    return station.start_session(label=body.label, notes=body.notes)


@router.post("/current/stop", response_model=api_models.RecordingSession)
async def stop(station: StationDep, archive: ArchiveDep) -> dict[str, Any]:
    ended = station.stop_session()
    await asyncio.to_thread(archive.store.sync)  # an export right after sees it all
    return ended


@router.get("/{sid}", response_model=api_models.SessionDetail)
def get(sid: str, archive: ArchiveDep) -> dict[str, Any]:
    """Metadata, events, marks, and ``metrics``/``analysis`` from ``analyze`` on the trace."""
    return archive.detail(sid)


@router.patch("/{sid}", response_model=api_models.SessionPatched, response_model_exclude_unset=True)
async def patch(sid: str, body: SessionPatch, archive: ArchiveDep) -> dict[str, Any]:
    await asyncio.to_thread(archive.meta, sid)
    fields = body.model_dump(exclude_unset=True)
    archive.update(sid, fields)
    await asyncio.to_thread(archive.store.sync)  # a GET right after sees it
    return {"id": sid, **fields}


@router.delete("/{sid}", status_code=204)
async def delete(sid: str, archive: ArchiveDep) -> None:
    await asyncio.to_thread(archive.meta, sid)
    archive.delete(sid)


@router.post("/{sid}/marks", status_code=201, response_model=api_models.MarkAdded)
async def mark(sid: str, body: Mark, archive: ArchiveDep) -> dict[str, Any]:
    """A point label ("upper trapezius", L) on the recording session of whichever station
    records it: stored, broadcast, shown as the current point."""
    station = archive.recording_station(sid)
    if station is None:
        raise HTTPException(409, detail="marks can only be added to the recording session")
    return station.mark(sid, body.label, body.side, body.t_s)


@router.get("/{sid}/trace", response_model=api_models.Trace)
def trace(
    sid: str,
    archive: ArchiveDep,
    from_s: float | None = Query(None, ge=-1e7, le=1e7),
    to_s: float | None = Query(None, ge=-1e7, le=1e7),
    max_points: int = Query(2000, ge=10, le=100_000),
) -> dict[str, Any]:
    if from_s is not None and to_s is not None and from_s > to_s:
        raise HTTPException(422, detail="from_s must not be after to_s")
    return archive.trace(sid, from_s, to_s, max_points)


def _attachment(sid: str, ext: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="presshold-{sid}.{ext}"'}


@router.get("/{sid}/export.csv")
def export_csv(sid: str, archive: ArchiveDep) -> StreamingResponse:
    meta = archive.meta(sid)
    blocks = archive.store.iter_samples(sid)
    return StreamingResponse(
        exports.csv_lines(meta, blocks),
        media_type=exports.FORMATS["csv"][1],
        headers=_attachment(sid, "csv"),
    )


@router.get("/{sid}/export.json")
def export_json(sid: str, archive: ArchiveDep) -> JSONResponse:
    meta = archive.meta(sid)
    return JSONResponse(
        exports.json_export(meta, archive.metrics(meta)), headers=_attachment(sid, "json")
    )


def _export_file(
    archive: SessionArchive, sid: str, fmt: str, write: Callable[[dict[str, Any], BinaryIO], object]
) -> StreamingResponse:
    """Write an export to an anonymous temporary file in this worker thread, then stream it:
    the file has no name (POSIX) and is gone when the response ends or is abandoned."""
    meta = archive.meta(sid)
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

    headers = {**_attachment(sid, suffix), "Content-Length": str(size)}
    return StreamingResponse(chunks(), media_type=media, headers=headers)


@router.get("/{sid}/export.parquet", response_class=StreamingResponse)
def export_parquet(sid: str, archive: ArchiveDep) -> StreamingResponse:
    """Every sample, typed and compressed; the CSV's metadata as file key-value metadata."""
    samples = archive.store.iter_samples
    return _export_file(
        archive, sid, "parquet", lambda m, fh: exports.write_parquet(m, samples(sid), fh)
    )


@router.get("/{sid}/export.mat", response_class=StreamingResponse)
def export_mat(sid: str, archive: ArchiveDep) -> StreamingResponse:
    """MATLAB v5: column vectors, events/marks struct arrays, a ``meta`` struct."""
    samples = archive.store.iter_samples
    return _export_file(
        archive, sid, "mat", lambda m, fh: fh.write(exports.mat_bytes(m, samples(sid)))
    )


@router.get("/{sid}/export.fhir.json")
def export_fhir(sid: str, archive: ArchiveDep) -> JSONResponse:
    """HL7 FHIR R4 Bundle: a Device and an Observation (trace as SampledData, metrics)."""
    meta = archive.meta(sid)
    bundle = exports.fhir_bundle(meta, archive.metrics(meta), archive.store.iter_samples(sid))
    return JSONResponse(
        bundle, headers=_attachment(sid, "fhir.json"), media_type="application/fhir+json"
    )


@router.post(
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
    archive: ArchiveDep,
    station: StationDep,
    filename: str = Query(min_length=1, max_length=255),
    rate_hz: float | None = Query(None, gt=0, le=100_000),
) -> dict[str, Any]:
    """The request body is the file (CSV, Parquet or a Serial Plotter log), streamed to disk
    with a size limit; it becomes a stored session marked imported. A file without settings
    takes ``?station=ID``'s current ones."""
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
    try:
        trace = await asyncio.to_thread(read_trace, path, rate_hz=rate_hz, name=filename)
        meta, events = await asyncio.to_thread(
            trace_import.build_session, trace, filename, station.settings.model_dump()
        )
        await asyncio.to_thread(trace_import.store_session, archive.store, meta, events, trace)
    except TraceFormatError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    except ConfigError as exc:  # e.g. settings columns no band can be made of
        raise HTTPException(422, detail=f"{filename}: {exc}") from None
    finally:
        path.unlink(missing_ok=True)
    if archive.analyse is not None:
        archive.analyse(meta["id"])  # analysed and cached now: the list shows its metrics
    return {"id": meta["id"], "label": meta["label"], "samples": int(trace.t_s.size)}
