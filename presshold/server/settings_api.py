"""Treatment settings (target, tolerance, hold): validated, persisted as JSON in the data dir."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError


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


def save(path: Path, settings: TreatmentSettings) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(settings.model_dump(), indent=2))
    tmp.replace(path)
