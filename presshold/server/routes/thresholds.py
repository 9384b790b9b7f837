"""Pressure-pain thresholds (taken on the recording session, summarised per session, listed per
client) and a client's progress across visits. ``presshold.clinic.ppt`` and
``presshold.clinic.progress`` do the measuring and the statistics."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from presshold.clinic import ppt, progress
from presshold.errors import Conflict, NotFound
from presshold.server.clinic import ClinicDep
from presshold.server.deps import ArchiveDep

router = APIRouter(tags=["clients"])


class TakeThreshold(BaseModel, extra="forbid"):
    site: str = Field(min_length=1, max_length=200)
    side: Literal["L", "R"] | None = None
    asked_rate_n_per_s: float = Field(ppt.DEFAULT_RATE_N_PER_S, gt=0, le=200)
    t_s: float | None = Field(
        None, ge=0, le=1e7, description="when the client signalled (session s); default: now"
    )
    source: Literal["button", "key"] = "key"


class ThresholdTaken(BaseModel, extra="allow"):
    t_s: float
    kind: Literal["ppt"]
    site: str
    side: Literal["L", "R"] | None
    value_n: float
    rate_n_per_s: float | None
    asked_rate_n_per_s: float
    pace: str = Field(description='"too fast", "too slow", "on pace" or "unknown"')


class ClientThreshold(BaseModel):
    site: str
    side: Literal["L", "R"] | None
    value_n: float
    rate_n_per_s: float | None
    t: str = Field(description="ISO 8601 UTC")
    session_id: str


@router.post("/api/sessions/{sid}/thresholds", status_code=201, response_model=ThresholdTaken)
async def take(sid: str, body: TakeThreshold, archive: ArchiveDep) -> dict[str, Any]:
    """The force when the client signalled (``t_s``) or now, and the rate it rose at."""
    station = archive.recording_station(sid)
    if station is None:
        raise Conflict("thresholds can only be taken on the recording session")
    t, f = station.recent_samples()
    when = body.t_s if body.t_s is not None else station.feed.now_s()
    trial = ppt.measure_trial(t, f, when)
    data = {
        "site": body.site,
        "side": body.side,
        "value_n": round(trial.value_n, 3),
        "rate_n_per_s": None if trial.rate_n_per_s is None else round(trial.rate_n_per_s, 3),
        "asked_rate_n_per_s": body.asked_rate_n_per_s,
        "pace": ppt.pace(trial.rate_n_per_s, body.asked_rate_n_per_s),
        "onset_t_s": round(trial.onset_t_s, 4),
        "source": body.source,
    }
    return station.client_event(sid, "ppt", data, trial.t_s)


@router.get("/api/sessions/{sid}/thresholds")
async def session_thresholds(sid: str, archive: ArchiveDep) -> dict[str, Any]:
    """The session's trials, their stats per site and side, and left/right pairs."""
    meta = await asyncio.to_thread(archive.meta, sid)
    trials = [e for e in meta["events"] if e["kind"] == "ppt"]
    stats = ppt.summarise(trials)
    return {
        "trials": trials,
        "sites": ppt.as_dicts(stats),
        "left_right": ppt.as_dicts(ppt.left_right(stats)),
        "cv_flag_pct": ppt.CV_FLAG_PCT,
    }


def _at(started_at: str, t_s: float) -> str:
    try:
        start = datetime.strptime(started_at, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return started_at
    return (start + timedelta(seconds=t_s)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


@router.get("/api/clients/{client_id}/thresholds", response_model=list[ClientThreshold])
async def client_thresholds(client_id: str, clinic: ClinicDep) -> list[dict[str, Any]]:
    """Every threshold taken for this client, oldest first."""
    await asyncio.to_thread(clinic.clients.get, client_id)
    sessions = await asyncio.to_thread(clinic.sessions, client_id)
    return [
        {
            "site": e["site"],
            "side": e.get("side"),
            "value_n": e["value_n"],
            "rate_n_per_s": e.get("rate_n_per_s"),
            "t": _at(s["started_at"], e["t_s"]),
            "session_id": s["id"],
        }
        for s in sessions
        for e in s["events"]
        if e["kind"] == "ppt"
    ]


@router.get("/api/clients/{client_id}/progress")
async def client_progress(client_id: str, clinic: ClinicDep) -> dict[str, Any]:
    """Visits oldest first; per site, threshold, pressure held and discomfort per visit; the
    latest visit's summary and holds (``presshold.clinic.progress``)."""
    client = await asyncio.to_thread(clinic.clients.get, client_id)
    sessions = await asyncio.to_thread(clinic.sessions, client_id)
    return {"client": client.model_dump(mode="json"), **progress.progress(sessions)}


@router.get("/api/clients/{client_id}/visits/{sid}")
async def visit(client_id: str, sid: str, clinic: ClinicDep) -> dict[str, Any]:
    """One visit's summary (what the printable page shows)."""
    client = await asyncio.to_thread(clinic.clients.get, client_id)
    detail = await asyncio.to_thread(clinic.archive.detail, sid)
    if detail.get("client_id") != client_id:
        raise NotFound(f"session {sid!r} is not a visit of client {client_id!r}")
    return {"client": client.model_dump(mode="json"), **progress.visit_summary(detail)}
