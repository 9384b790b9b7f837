"""FastAPI dependencies: typed handles on the services the routes call.

Routes declare what they need (``station: StationDep``, ``store: StoreDep``) and stay thin; the
services live on ``app.state.presshold`` (an :class:`AppState`), assembled in
:func:`presshold.server.app.create_app`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Query
from starlette.requests import HTTPConnection

from presshold.server.archive import SessionArchive
from presshold.server.config import ServerSettings
from presshold.server.metrics_worker import MetricsWorker
from presshold.server.station import Station
from presshold.server.stations import StationRegistry
from presshold.server.store_api import SessionStoreAPI
from presshold.server.trainer.service import TrainerService


@dataclass
class AppState:
    """The running server's services; ``stations`` and ``store`` exist while the app runs."""

    settings: ServerSettings
    data_dir: Path
    stations: StationRegistry | None = None
    store: SessionStoreAPI | None = None
    analyses: MetricsWorker | None = None
    trainer: TrainerService | None = None


def app_state(conn: HTTPConnection) -> AppState:
    state: AppState = conn.app.state.presshold
    return state


def registry(conn: HTTPConnection) -> StationRegistry:
    reg = app_state(conn).stations
    if reg is None:
        raise RuntimeError("the stations are not running")
    return reg


def session_store(conn: HTTPConnection) -> SessionStoreAPI:
    store = app_state(conn).store
    if store is None:
        raise RuntimeError("the session store is not open")
    return store


Registry = Annotated[StationRegistry, Depends(registry)]
StoreDep = Annotated[SessionStoreAPI, Depends(session_store)]


def station(
    stations: Registry,
    station: Annotated[
        str | None,
        Query(max_length=64, description="station id (GET /api/stations); default: the first"),
    ] = None,
) -> Station:
    return stations.get(station)


StationDep = Annotated[Station, Depends(station)]


def session_archive(conn: HTTPConnection) -> SessionArchive:
    analyses = app_state(conn).analyses
    return SessionArchive(
        session_store(conn), registry(conn), analyses.session_ended if analyses else None
    )


ArchiveDep = Annotated[SessionArchive, Depends(session_archive)]


def trainer_service(conn: HTTPConnection) -> TrainerService:
    trainer = app_state(conn).trainer
    if trainer is None:
        raise RuntimeError("trainer mode is not running")
    return trainer


TrainerDep = Annotated[TrainerService, Depends(trainer_service)]
