"""``/api/clients``: the practice's clients, and everything about one as a zip.

Names and notes are personal health data: they are returned to the dashboard, stored only in the
client book, and never logged (errors name the client by its pseudonymous id).
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from presshold.clinic.clients import Client, ClientCreate, ClientFields
from presshold.server.clinic import ClinicDep

router = APIRouter(prefix="/api/clients", tags=["clients"])


@router.get("", response_model=list[Client])
async def list_clients(clinic: ClinicDep) -> list[Client]:
    """By name."""
    return await asyncio.to_thread(clinic.clients.list)


@router.post("", status_code=201, response_model=Client)
async def create(body: ClientCreate, clinic: ClinicDep) -> Client:
    return await asyncio.to_thread(clinic.clients.create, body)


@router.get("/{client_id}", response_model=Client)
async def get(client_id: str, clinic: ClinicDep) -> Client:
    return await asyncio.to_thread(clinic.clients.get, client_id)


@router.patch("/{client_id}", response_model=Client)
async def patch(client_id: str, body: ClientFields, clinic: ClinicDep) -> Client:
    """Only the fields sent change; ``"presets": null`` removes the presets."""
    return await asyncio.to_thread(clinic.clients.update, client_id, body)


@router.delete("/{client_id}")
async def delete(client_id: str, clinic: ClinicDep) -> dict[str, Any]:
    """The client and all their sessions, irreversibly (the dashboard asks first)."""
    removed = await clinic.delete(client_id)
    return {"id": client_id, "deleted": True, "sessions_deleted": removed}


@router.get("/{client_id}/export", response_class=FileResponse)
async def export(client_id: str, clinic: ClinicDep) -> FileResponse:
    """A zip: ``client.json`` (record, sessions, events, analyses), ``sessions.csv``,
    ``events.csv`` and ``samples/<session>.csv``."""
    tmp = clinic.clients.dir / "exports"
    path: Path = await asyncio.to_thread(clinic.export, client_id, tmp)

    def cleanup() -> None:
        with contextlib.suppress(OSError):
            path.unlink()

    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"presshold-client-{client_id}.zip",
        background=BackgroundTask(cleanup),
    )
