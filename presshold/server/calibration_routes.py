"""``/api/tare`` and ``/api/calibration…``: zero and calibrate the live sensor from the dashboard.

The source does the measuring (its ring of recent raw readings, steadiness check, least-squares
fit, per-sensor persistence); these routes only validate, run it off the event loop and tell every
viewer through a ``status`` broadcast.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from presshold.errors import CalibrationError
from presshold.server.api_models import CalibrationPointAdded, CalibrationView
from presshold.server.live import LiveHub


class TareRequest(BaseModel, extra="forbid"):
    window_s: float = Field(0.5, ge=0.05, le=4.0, description="seconds at rest to average")


class PointRequest(BaseModel, extra="forbid"):
    known_n: float = Field(ge=0, le=20_000, description="the known load in newtons")
    window_s: float = Field(1.0, ge=0.05, le=4.0)


def calibration_view(hub: LiveHub) -> dict[str, Any]:
    """The calibration in force plus the points collected for the next fit."""
    cal = hub.source.calibration.to_dict()
    return {
        **cal,
        "sensor_id": cal.get("sensor_id") or hub.status_obj.sensor_id,
        "unit": hub.status_obj.unit,
        "fitted_points": cal.get("points", []),
        "points": hub.source.calibration_points,
    }


def build_router(get_hub: Callable[[], LiveHub]) -> APIRouter:
    r = APIRouter(prefix="/api", tags=["calibration"])

    def connected_hub() -> LiveHub:
        hub = get_hub()
        if not hub.status_obj.connected:
            raise HTTPException(409, detail="the sensor is not connected; plug it in and retry")
        return hub

    async def measure(hub: LiveHub, step: Callable[[], Any]) -> Any:
        """Run a source step in a thread (it may write calibrations.json) and report it."""
        try:
            result = await asyncio.to_thread(step)
        except CalibrationError as exc:
            raise HTTPException(409, detail=str(exc)) from None
        except OSError as exc:
            raise HTTPException(507, detail=f"calibration not saved: {exc}") from None
        hub.broadcast_status()
        return result

    @r.post("/tare", response_model=CalibrationView)
    async def tare(body: TareRequest | None = None) -> dict[str, Any]:
        """Zero the sensor on the last ``window_s`` seconds at rest; saved for this sensor."""
        hub = connected_hub()
        window = (body or TareRequest()).window_s
        await measure(hub, lambda: hub.source.tare(window))
        return calibration_view(hub)

    @r.get("/calibration", response_model=CalibrationView)
    def get_calibration() -> dict[str, Any]:
        return calibration_view(get_hub())

    @r.post("/calibration/points", status_code=201, response_model=CalibrationPointAdded)
    async def add_point(body: PointRequest) -> dict[str, Any]:
        """A known weight is resting on the sensor: remember (known_n, median raw)."""
        hub = connected_hub()
        point = await measure(
            hub, lambda: hub.source.add_calibration_point(body.known_n, body.window_s)
        )
        return {"point": point, **calibration_view(hub)}

    @r.delete("/calibration/points", response_model=CalibrationView)
    def clear_points() -> dict[str, Any]:
        hub = get_hub()
        hub.source.clear_calibration_points()
        return calibration_view(hub)

    @r.post("/calibration/fit", response_model=CalibrationView)
    async def fit() -> dict[str, Any]:
        """Least-squares line through the points; persisted per sensor; residuals returned."""
        hub = get_hub()
        await measure(hub, hub.source.fit_calibration)
        return calibration_view(hub)

    return r
