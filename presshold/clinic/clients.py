"""A client of the practice: who is on the table, and the settings they start with.

A client's name is personal health data. It lives only in the client book
(:mod:`presshold.clinic.repository`), never in a session row (sessions carry the pseudonymous
``client_id``) and never in a log line: the models keep it out of their ``repr``, which is what
an accidental ``log.info("%r", client)`` or a traceback would print.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from presshold.errors import ConfigError
from presshold.treatment import SettingsPatch, TreatmentSettings, describe

Sensitivity = Literal["typical", "sensitive", "very_sensitive"]


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_client_id() -> str:
    """Random, URL-safe and meaningless: it may appear in URLs and logs, the name may not."""
    return "c-" + secrets.token_hex(5)


class ClientFields(BaseModel, extra="forbid"):
    """What the therapist may set; every field optional so it also serves as a PATCH body."""

    name: str | None = Field(
        None, min_length=1, max_length=120, repr=False, description="a name or a pseudonymous code"
    )
    notes: str | None = Field(None, max_length=5000, repr=False)
    sensitivity: Sensitivity | None = Field(
        None, description="how the client tolerates pressure; shown beside their name"
    )
    presets: SettingsPatch | None = Field(
        None,
        description="treatment settings applied to a station when this client is chosen "
        "(e.g. a lower target_n for a sensitive client)",
    )

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("the name must not be blank")
        return v.strip() if v is not None else None

    @field_validator("presets")
    @classmethod
    def _presets_in_bounds(cls, v: SettingsPatch | None) -> SettingsPatch | None:
        """Checked against the default settings now, so a bad preset is refused when it is
        typed, not when the client is chosen at a busy table."""
        if v is not None:
            try:
                TreatmentSettings().patched(v)
            except ValidationError as exc:
                raise ValueError(describe(exc)) from None
        return v


class ClientCreate(ClientFields):
    name: str = Field(min_length=1, max_length=120, repr=False)


class Client(BaseModel):
    """A stored client (the JSON ``GET /api/clients/{id}`` returns)."""

    id: str
    name: str = Field(repr=False)
    notes: str | None = Field(None, repr=False)
    sensitivity: Sensitivity | None = None
    presets: SettingsPatch | None = None
    created_at: str
    updated_at: str

    @classmethod
    def new(cls, body: ClientCreate) -> Client:
        now = now_iso()
        return cls(id=new_client_id(), created_at=now, updated_at=now, **body.model_dump())

    def patched(self, patch: ClientFields) -> Client:
        """Only the fields present in the PATCH body change; ``null`` clears notes/presets."""
        changes = patch.model_dump(exclude_unset=True)
        if changes.get("name", "") is None:
            raise ConfigError("name: a client must keep a name or code")
        return self.model_validate({**self.model_dump(), **changes, "updated_at": now_iso()})

    def preset_patch(self) -> SettingsPatch | None:
        """The settings to apply when this client is chosen, or None when there are none."""
        if self.presets is None or not self.presets.model_dump(exclude_none=True):
            return None
        return SettingsPatch(**self.presets.model_dump(exclude_none=True))
