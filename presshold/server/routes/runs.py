"""Runs of a protocol on a station: start, stop, the run with its trials, its trials.csv."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from presshold.server.deps import Registry, TrainerDep
from presshold.server.trainer.reports import FORMULA
from presshold.server.trainer.tables import trials_csv

router = APIRouter(tags=["trainer"])


class RunStart(BaseModel, extra="forbid"):
    protocol_id: str = Field(min_length=1, max_length=64)
    student_id: str | None = Field(
        None, max_length=64, description="default: the student assigned to the station"
    )


@router.post("/api/stations/{station_id}/run", status_code=201)
async def start_run(
    station_id: str, body: RunStart, stations: Registry, trainer: TrainerDep
) -> dict[str, Any]:
    """Start a protocol at this station (a session is started if none is recording)."""
    station = stations.get(station_id)
    station.ingest_parked()
    return await trainer.start_run(station, body.protocol_id, body.student_id)


@router.post("/api/stations/{station_id}/run/stop")
async def stop_run(station_id: str, stations: Registry, trainer: TrainerDep) -> dict[str, Any]:
    """End the run now: a trial in progress is scored as it stands."""
    return await trainer.stop_run(stations.get(station_id))


@router.get("/api/runs/{run_id}")
async def get_run(run_id: str, trainer: TrainerDep) -> dict[str, Any]:
    """The run, its result (pass rule) and its trials with metrics and traces."""
    return await trainer.run_view(run_id)


@router.get("/api/runs/{run_id}/trials.csv")
async def run_trials_csv(run_id: str, trainer: TrainerDep) -> Response:
    run = await trainer.run_view(run_id)
    names = {run["student_id"]: run.get("student_name") or ""} if run.get("student_id") else {}
    if run.get("student_id") and not names[run["student_id"]]:
        names[run["student_id"]] = (await trainer.call(trainer.repo.student, run["student_id"]))[
            "name"
        ]
    return Response(
        trials_csv(run["trials"], names),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="trials-{run_id}.csv"'},
    )


@router.get("/api/score-formula")
def score_formula() -> dict[str, str]:
    """The trial score's formula in words (the live page shows it on request)."""
    return {"formula": FORMULA}
