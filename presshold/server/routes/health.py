"""``/api/health`` (and ``/health``): is the server up, and how are its stations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from presshold import __version__
from presshold.server.api_models import Health
from presshold.server.deps import Registry

router = APIRouter(tags=["health"])


@router.get("/api/health", response_model=Health)
@router.get("/health", response_model=Health, include_in_schema=False)
async def health(stations: Registry) -> dict[str, Any]:  # on the loop: a consistent snapshot
    return {"status": "ok", "version": __version__, **stations.health()}
