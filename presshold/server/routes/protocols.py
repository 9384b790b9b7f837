"""``/api/protocols``: the built-ins (read-only) and the trainer's own, as JSON files."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Request, Response

from presshold.errors import ConfigError, NotFound
from presshold.server.deps import TrainerDep
from presshold.server.trainer.service import TrainerService
from presshold.training.protocols import ProtocolBody

router = APIRouter(prefix="/api/protocols", tags=["trainer"])


@router.get("")
async def list_protocols(trainer: TrainerDep) -> list[dict[str, Any]]:
    found = await asyncio.to_thread(trainer.library.all)
    return [p.model_dump(exclude_none=True) | {"trials": p.trials} for p in found]


async def _check_references(body: ProtocolBody, trainer: TrainerService) -> None:
    """A step may only name a reference that exists (else a 422 naming the step)."""
    for i, step in enumerate(body.steps):
        if step.reference_id is None:
            continue
        try:
            await trainer.call(trainer.repo.reference, step.reference_id, with_trace=False)
        except NotFound:
            raise ConfigError(
                f"steps.{i}.reference_id: no reference {step.reference_id!r} "
                "(POST /api/references saves one)"
            ) from None


@router.post("", status_code=201)
async def create_protocol(body: ProtocolBody, trainer: TrainerDep) -> dict[str, Any]:
    """A new protocol; a bad one gets a 422 naming the field and why."""
    await _check_references(body, trainer)
    return (await asyncio.to_thread(trainer.library.create, body)).model_dump(exclude_none=True)


@router.post("/import", status_code=201)
async def import_protocol(request: Request, trainer: TrainerDep) -> dict[str, Any]:
    """A file from ``export.json`` (or a bare protocol body): saved under a new id."""
    try:
        data = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise ConfigError("the file is not valid JSON") from None
    body = trainer.library.parse(data)
    await _check_references(body, trainer)
    return (await asyncio.to_thread(trainer.library.create, body)).model_dump(exclude_none=True)


@router.get("/{protocol_id}")
async def get_protocol(protocol_id: str, trainer: TrainerDep) -> dict[str, Any]:
    p = await asyncio.to_thread(trainer.library.get, protocol_id)
    return p.model_dump(exclude_none=True) | {"trials": p.trials}


@router.put("/{protocol_id}")
async def replace_protocol(
    protocol_id: str, body: ProtocolBody, trainer: TrainerDep
) -> dict[str, Any]:
    """Replace a trainer's protocol (built-ins answer 409: copy them instead)."""
    await _check_references(body, trainer)
    p = await asyncio.to_thread(trainer.library.replace, protocol_id, body)
    return p.model_dump(exclude_none=True)


@router.delete("/{protocol_id}")
async def delete_protocol(protocol_id: str, trainer: TrainerDep) -> dict[str, Any]:
    await asyncio.to_thread(trainer.library.delete, protocol_id)
    return {"deleted": protocol_id}


@router.get("/{protocol_id}/export.json")
async def export_protocol(protocol_id: str, trainer: TrainerDep) -> Response:
    """The protocol as a file to share; ``POST /api/protocols/import`` reads it back."""
    p = await asyncio.to_thread(trainer.library.get, protocol_id)
    data = {"format": "presshold-protocol/1", **p.body()}
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False) + "\n",
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{p.id}.json"'},
    )
