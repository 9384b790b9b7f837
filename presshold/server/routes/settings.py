"""``/api/settings``: a station's treatment settings (target, band, hold), live and saved."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from presshold.server.deps import StationDep
from presshold.treatment import SettingsPatch, TreatmentSettings

router = APIRouter(prefix="/api/settings", tags=["settings"])


@router.get("", response_model=TreatmentSettings)
def get_settings(station: StationDep) -> dict[str, Any]:
    return station.settings.model_dump()


@router.put("", response_model=TreatmentSettings)
async def put_settings(patch: SettingsPatch, station: StationDep) -> dict[str, Any]:
    """Any subset of the settings object; applied live, saved for the station's next start.
    A derived value (``tolerance_n`` from ``tolerance_pct``) is validated like a typed one."""
    return (await station.update_settings(patch)).model_dump()
