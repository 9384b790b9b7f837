"""Treatment settings: the one home of their defaults, bounds and derived values.

A station's target, band and hold rules, as the API sends them, the settings file stores them and
the hold detector uses them. Why one model: the defaults and bounds used to live in four places
and a derived tolerance (``tolerance_pct`` of the target) was computed after validation, so an
out-of-bounds value could be stored and then break every read. Here the derived ``tolerance_n``
is computed *before* field validation, so it is always checked like a typed one.

Pure (pydantic and :mod:`presshold.signal` only): the server, the CLI and the trainer's scoring
import it without the web stack.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, Field, ValidationError, model_validator

from presshold.signal import HoldParams

Unit = Literal["N", "kgf", "lbf", "kPa", "kgf/cm2"]


class TreatmentSettings(BaseModel):
    """The settings object of docs/protocol.md; ``tolerance_pct`` set ⇒ the band follows the
    target and ``tolerance_n`` is derived from it."""

    target_n: float = Field(30.0, gt=0, le=2000, description="target force, newtons")
    tolerance_n: float = Field(3.0, gt=0, le=1000, description="band half-width, newtons")
    tolerance_pct: float | None = Field(
        10.0, gt=0, lt=100, description="band half-width as % of the target; null = fixed N"
    )
    hold_s: float = Field(30.0, gt=0, le=3600, description="seconds in band for a complete hold")
    grace_s: float = Field(0.5, ge=0, le=10, description="excursions shorter than this are kept")
    min_hold_s: float = Field(1.0, ge=0, le=60, description="shorter dwells are not holds")
    unit: Unit = "N"
    probe_area_cm2: float = Field(1.0, gt=0, le=100)
    idle_end_s: float = Field(120.0, gt=0, le=86400, description="end a session after this idle")

    @model_validator(mode="before")
    @classmethod
    def _derive_tolerance(cls, data: Any) -> Any:
        """``tolerance_n`` from ``tolerance_pct`` before validation, so its bounds apply.

        Neither tolerance given (``TreatmentSettings(target_n=20)``) means the default per cent
        of *this* target, and ``tolerance_n`` alone a fixed tolerance (as in :meth:`patched`):
        the defaults' 3 N only agrees with 10 % at 30 N, and a model that says 10 % while its
        detector uses 3 N shows one band in the controls and another on the dial.
        """
        if isinstance(data, dict):
            if "tolerance_pct" not in data:  # a tolerance in newtons alone is a fixed one
                pct_default = cls.model_fields["tolerance_pct"].default
                data = {**data, "tolerance_pct": None if "tolerance_n" in data else pct_default}
            pct, target = data.get("tolerance_pct"), data.get("target_n", 30.0)
            if isinstance(pct, int | float) and isinstance(target, int | float):
                data = {**data, "tolerance_n": target * pct / 100}
        return data

    @model_validator(mode="after")
    def _band_above_zero(self) -> Self:
        if self.tolerance_n >= self.target_n:
            lo, hi = self.target_n - self.tolerance_n, self.target_n + self.tolerance_n
            raise ValueError(
                f"the band {lo:g}-{hi:g} N reaches 0 N: the tolerance must be smaller than the"
                " target"
            )
        return self

    def to_hold_params(self) -> HoldParams:
        return HoldParams(
            self.target_n,
            self.tolerance_n,
            self.hold_s,
            grace_s=self.grace_s,
            min_hold_s=self.min_hold_s,
        )

    def patched(self, patch: SettingsPatch) -> TreatmentSettings:
        """Merge a PUT body; an explicit ``tolerance_n`` without a pct switches to a fixed
        tolerance. Raises :class:`pydantic.ValidationError` with every field at fault."""
        changes = patch.model_dump(exclude_unset=True)
        if "tolerance_n" in changes and "tolerance_pct" not in changes:
            changes["tolerance_pct"] = None
        return TreatmentSettings.model_validate({**self.model_dump(), **changes})


class SettingsPatch(BaseModel, extra="forbid"):
    """Any subset of :class:`TreatmentSettings` (``PUT /api/settings``); bounds are checked on
    the merged result, so a message names the field and the reason once."""

    target_n: float | None = None
    tolerance_n: float | None = None
    tolerance_pct: float | None = None
    hold_s: float | None = None
    grace_s: float | None = None
    min_hold_s: float | None = None
    unit: Unit | None = None
    probe_area_cm2: float | None = None
    idle_end_s: float | None = None


def hold_params(settings: dict[str, Any] | None) -> HoldParams:
    """Hold rules from a stored settings dict (a session row or a ``settings`` event).

    Stored settings were valid when written; fields missing from older rows take today's
    defaults. A row that no longer validates (bounds tightened since) is still replayed as
    recorded rather than refused: the recording happened with those numbers.
    """
    given = {k: v for k, v in (settings or {}).items() if v is not None}
    try:
        return TreatmentSettings.model_validate(given).to_hold_params()
    except ValidationError:
        merged = {**TreatmentSettings().model_dump(), **given}
        return HoldParams(
            float(merged["target_n"]),
            float(merged["tolerance_n"]),
            float(merged["hold_s"]),
            grace_s=float(merged["grace_s"]),
            min_hold_s=float(merged["min_hold_s"]),
        )


def describe(exc: ValidationError) -> str:
    """One line naming each field at fault and why (for 422 bodies and CLI errors)."""
    parts = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e["loc"]) or "settings"
        parts.append(f"{where}: {e['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)
