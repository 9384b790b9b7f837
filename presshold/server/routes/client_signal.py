"""The client's own signal: discomfort ratings (0-10) and the patient button, relayed.

``POST /api/sessions/{sid}/discomfort`` records what the client reports during a hold; the live
page sends it on a digit key or a tap. ``POST /api/stations/{id}/patient-signal`` is the button
pressed from software (the therapist relaying "stop", a test, a simulator without a button).
``PUT /api/stations/{id}/simulated-client`` sets when the simulator's client presses theirs.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from presshold.errors import Conflict
from presshold.firmware_bridge.sim_client import SimulatedClient
from presshold.server.deps import ArchiveDep, Registry

router = APIRouter(tags=["clients"])


class Discomfort(BaseModel, extra="forbid"):
    level: int = Field(ge=0, le=10, description="0 = none, 10 = worst imaginable")
    site: str | None = Field(
        None, max_length=200, description="default: the session's current point label"
    )
    side: Literal["L", "R"] | None = None
    t_s: float | None = Field(None, ge=0, le=1e7, description="session seconds; default: now")


class DiscomfortAdded(BaseModel):
    t_s: float
    kind: Literal["discomfort"]
    level: int
    site: str | None
    side: Literal["L", "R"] | None


class PatientSignal(BaseModel):
    t_s: float
    kind: Literal["patient_signal"]
    source: str = Field(description='"button" (the device) or "relayed" (this route)')


@router.post("/api/sessions/{sid}/discomfort", status_code=201, response_model=DiscomfortAdded)
async def discomfort(sid: str, body: Discomfort, archive: ArchiveDep) -> dict[str, Any]:
    """A rating on the recording session of whichever station records it."""
    station = archive.recording_station(sid)
    if station is None:
        raise Conflict("discomfort can only be recorded on the recording session")
    return station.discomfort(sid, body.level, body.site, body.side, body.t_s)


@router.post(
    "/api/stations/{station_id}/patient-signal", status_code=201, response_model=PatientSignal
)
async def patient_signal(station_id: str, stations: Registry) -> dict[str, Any]:
    """As if the client pressed their button: recorded, and the dashboard's cue shows."""
    return stations.get(station_id).patient_signal(source="relayed")


class SimClientSettings(BaseModel, extra="forbid"):
    press_at_n: float | None = Field(
        None, gt=0, le=2000, description="press when the force reaches this; null: never"
    )
    tap: bool = Field(False, description="press briefly now")


@router.put("/api/stations/{station_id}/simulated-client", response_model=SimClientSettings)
async def simulated_client(
    station_id: str, body: SimClientSettings, stations: Registry
) -> dict[str, Any]:
    """The simulator's client (``--source sim`` only): a threshold to press the button at,
    for trying pressure-pain-threshold measurement without hardware."""
    client = getattr(stations.get(station_id).source, "client", None)
    if not isinstance(client, SimulatedClient):
        raise Conflict("only a simulated station (--source sim) has a simulated client")
    client.threshold_n = body.press_at_n
    if body.tap:
        client.tap()
    return {"press_at_n": client.threshold_n, "tap": body.tap}
