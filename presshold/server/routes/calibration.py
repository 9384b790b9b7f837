"""``/api/tare`` and ``/api/calibration…``: zero and calibrate a station's sensor.

The source does the measuring (its ring of recent raw readings, steadiness check, least-squares
fit, per-sensor persistence); the station runs it off the event loop and tells its viewers.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from presshold.server.api_models import CalibrationPointAdded, CalibrationView
from presshold.server.deps import StationDep

router = APIRouter(prefix="/api", tags=["calibration"])


class TareRequest(BaseModel, extra="forbid"):
    window_s: float = Field(0.5, ge=0.05, le=4.0, description="seconds at rest to average")


class PointRequest(BaseModel, extra="forbid"):
    known_n: float = Field(ge=0, le=20_000, description="the known load in newtons")
    window_s: float = Field(1.0, ge=0.05, le=4.0)


@router.post("/tare", response_model=CalibrationView)
async def tare(station: StationDep, body: TareRequest | None = None) -> dict[str, Any]:
    """Zero the sensor on the last ``window_s`` seconds at rest; saved for this sensor."""
    await station.tare((body or TareRequest()).window_s)
    return station.calibration_view()


@router.get("/calibration", response_model=CalibrationView)
def get_calibration(station: StationDep) -> dict[str, Any]:
    return station.calibration_view()


@router.post("/calibration/points", status_code=201, response_model=CalibrationPointAdded)
async def add_point(body: PointRequest, station: StationDep) -> dict[str, Any]:
    """A known weight is resting on the sensor: remember (known_n, median raw)."""
    point = await station.add_calibration_point(body.known_n, body.window_s)
    return {"point": point, **station.calibration_view()}


@router.delete("/calibration/points", response_model=CalibrationView)
async def clear_points(station: StationDep) -> dict[str, Any]:
    station.clear_calibration_points()
    return station.calibration_view()


@router.post("/calibration/fit", response_model=CalibrationView)
async def fit(station: StationDep) -> dict[str, Any]:
    """Least-squares line through the points; persisted per sensor; residuals returned."""
    await station.fit_calibration()
    return station.calibration_view()
