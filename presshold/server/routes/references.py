"""``/api/references``: a recorded trial saved as the target shape for a protocol step."""

from __future__ import annotations

import asyncio
from typing import Any, Self

import numpy as np
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from presshold.errors import ConfigError
from presshold.server.deps import ArchiveDep, TrainerDep
from presshold.server.trainer.service import decimate
from presshold.signal import LivePipeline
from presshold.treatment import hold_params

router = APIRouter(prefix="/api/references", tags=["trainer"])
MAX_REFERENCE_S = 600.0


class ReferenceBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    session_id: str = Field(min_length=1, max_length=64)
    from_s: float = Field(ge=0)
    to_s: float = Field(gt=0)
    name: str = Field(min_length=1, max_length=80)

    @model_validator(mode="after")
    def _span(self) -> Self:
        if not 0 < self.to_s - self.from_s <= MAX_REFERENCE_S:
            raise ValueError(f"to_s must be after from_s, at most {MAX_REFERENCE_S:g} s later")
        return self


@router.post("", status_code=201)
async def add_reference(
    body: ReferenceBody, archive: ArchiveDep, trainer: TrainerDep
) -> dict[str, Any]:
    """Cut ``[from_s, to_s]`` out of a recorded session, as the hold detector saw it (the
    detection signal, with the session's settings), and keep it as a reference."""
    meta = await asyncio.to_thread(archive.meta, body.session_id)
    t, f, _ = await asyncio.to_thread(archive.store.samples, body.session_id)
    if t.size < 2:
        raise ConfigError(f"session {body.session_id!r} has no samples to cut a reference from")
    detect = LivePipeline(hold_params(meta.get("settings"))).process(t, f).detect
    keep = (t >= body.from_s) & (t <= body.to_s)
    if np.count_nonzero(keep) < 2:
        raise ConfigError(f"no samples between {body.from_s:g} s and {body.to_s:g} s")
    trace = decimate(t[keep], np.asarray(detect)[keep], body.from_s)
    return await trainer.call(
        trainer.repo.add_reference,
        body.name.strip(),
        body.session_id,
        body.from_s,
        body.to_s,
        trace,
    )


@router.get("")
async def list_references(trainer: TrainerDep) -> list[dict[str, Any]]:
    return await trainer.call(trainer.repo.references)


@router.get("/{ref_id}")
async def get_reference(ref_id: str, trainer: TrainerDep) -> dict[str, Any]:
    """The reference with its trace ``[[s from its start, N], …]`` (the ghost on the live page)."""
    return await trainer.call(trainer.repo.reference, ref_id)


@router.delete("/{ref_id}")
async def delete_reference(ref_id: str, trainer: TrainerDep) -> dict[str, Any]:
    await trainer.call(trainer.repo.delete_reference, ref_id)
    return {"deleted": ref_id}
