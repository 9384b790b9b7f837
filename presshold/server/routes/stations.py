"""``/api/stations``: every sensor this server serves, and renaming one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from presshold.server.api_models import StationView
from presshold.server.clinic import ClinicDep
from presshold.server.deps import Registry, TrainerDep

router = APIRouter(prefix="/api/stations", tags=["stations"])


class StationPatch(BaseModel, extra="forbid"):
    name: str | None = Field(None, min_length=1, max_length=60, description='e.g. "Table 3"')
    student_id: str | None = Field(None, max_length=64, description="trainer mode; null = none")
    client_id: str | None = Field(
        None, max_length=64, description="the client on the table (null: nobody); presets apply"
    )


@router.get("", response_model=list[StationView])
def list_stations(stations: Registry) -> list[dict[str, Any]]:
    return [s.describe() for s in stations]


@router.get("/{station_id}", response_model=StationView)
def get_station(station_id: str, stations: Registry) -> dict[str, Any]:
    return stations.get(station_id).describe()


@router.patch("/{station_id}", response_model=StationView)
async def patch_station(
    station_id: str,
    body: StationPatch,
    stations: Registry,
    trainer: TrainerDep,
    clinic: ClinicDep,
) -> dict[str, Any]:
    """Rename a station (remembered for this sensor across restarts), assign a student, or
    choose its client (presets apply)."""
    station = stations.get(station_id)
    if "student_id" in body.model_fields_set:
        await trainer.assign(station, body.student_id)
    if "client_id" in body.model_fields_set:
        await clinic.choose(station, body.client_id)
    if body.name is not None:
        await station.rename(body.name.strip() or station.name)
    return station.describe()
