"""Treatment settings (target, tolerance, hold): validated, persisted as JSON in the data dir."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field, ValidationError

if TYPE_CHECKING:
    from presshold.server.app import AppState


class TreatmentSettings(BaseModel):
    """The settings object of docs/protocol.md; ``tolerance_pct`` set ⇒ tolerance follows target."""

    target_n: float = Field(30.0, gt=0, le=2000)
    tolerance_n: float = Field(3.0, gt=0, le=1000)
    tolerance_pct: float | None = Field(10.0, gt=0, le=100)
    hold_s: float = Field(30.0, gt=0, le=3600)
    grace_s: float = Field(0.5, ge=0, le=10)
    min_hold_s: float = Field(1.0, ge=0, le=60)
    unit: Literal["N", "kgf", "lbf", "kPa", "kgf/cm2"] = "N"
    probe_area_cm2: float = Field(1.0, gt=0, le=100)
    idle_end_s: float = Field(120.0, gt=0, le=86400)

    def normalised(self) -> TreatmentSettings:
        if self.tolerance_pct is not None:
            return self.model_copy(update={"tolerance_n": self.target_n * self.tolerance_pct / 100})
        return self


class SettingsPatch(BaseModel, extra="forbid"):
    target_n: float | None = None
    tolerance_n: float | None = None
    tolerance_pct: float | None = None
    hold_s: float | None = None
    grace_s: float | None = None
    min_hold_s: float | None = None
    unit: str | None = None
    probe_area_cm2: float | None = None
    idle_end_s: float | None = None


def load(path: Path) -> TreatmentSettings:
    """Last saved settings; defaults if the file is missing or unreadable (never blocks startup)."""
    try:
        return TreatmentSettings.model_validate_json(path.read_text()).normalised()
    except (OSError, ValidationError, ValueError):
        return TreatmentSettings().normalised()


def apply(current: TreatmentSettings, patch: SettingsPatch) -> TreatmentSettings:
    """Merge a PUT body; an explicit ``tolerance_n`` without a pct switches to a fixed tolerance."""
    changes = patch.model_dump(exclude_unset=True)
    if "tolerance_n" in changes and "tolerance_pct" not in changes:
        changes["tolerance_pct"] = None
    merged = {**current.model_dump(), **changes}
    return TreatmentSettings.model_validate(merged).normalised()


def initial(path: Path, patch: dict[str, Any]) -> TreatmentSettings:
    """The saved settings with the command line's ``--target/--tolerance/--hold`` on top."""
    saved = load(path)
    if not patch:
        return saved
    new = apply(saved, SettingsPatch(**patch))
    with contextlib.suppress(OSError):  # still used for this run; not saving is not fatal
        save(path, new)
    return new


def _message(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
    )


def build_router(state: AppState) -> APIRouter:
    r = APIRouter(prefix="/api/settings", tags=["settings"])

    @r.get("", response_model=TreatmentSettings)
    def get_settings() -> dict[str, Any]:
        return state.treatment.model_dump()

    @r.put("", response_model=TreatmentSettings)
    async def put_settings(patch: SettingsPatch) -> dict[str, Any]:
        """Any subset of the settings object; applied live, persisted for the next start."""
        try:
            new = apply(state.treatment, patch)
        except ValidationError as exc:
            raise HTTPException(422, detail=_message(exc)) from None
        state.apply_treatment(new)
        try:
            await asyncio.to_thread(save, state.data_dir / "settings.json", new)
        except OSError as exc:
            raise HTTPException(507, detail=f"settings applied but not saved: {exc}") from None
        return new.model_dump()

    return r


def save(path: Path, settings: TreatmentSettings) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(settings.model_dump(), indent=2))
    tmp.replace(path)
