"""Application factory: the one place where stations, store, analysis and routes are assembled.

``create_app(settings)`` is all a caller needs. The sources are opened here, so a bad
``--source`` fails before the port is taken; the app's lifespan starts the stations and, when it
ends, stops every source, records what they parked and flushes the store (Ctrl-C and SIGTERM
lose nothing). Tests pass ``sources=`` to run stations on in-process fakes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from presshold import __version__
from presshold.firmware_bridge.source import Source
from presshold.firmware_bridge.sources import AUTO, SourceSpec, expand, open_source
from presshold.server import http_errors, trace_import
from presshold.server.access import AccessGuard, access_options
from presshold.server.assignments import Assignments
from presshold.server.config import ServerSettings
from presshold.server.deps import AppState
from presshold.server.metrics_worker import MetricsWorker
from presshold.server.routes import (
    calibration,
    client_signal,
    clients,
    health,
    live,
    pages,
    protocols,
    references,
    runs,
    sessions,
    settings,
    stations,
    students,
    thresholds,
    trainer_pages,
)
from presshold.server.stations import StationRegistry
from presshold.server.store_factory import open_records, open_store, start_remote_stations
from presshold.server.trainer.service import TrainerService

log = logging.getLogger("presshold.server")

MAX_BODY = 64 * 1024  # the largest legitimate body (session notes) is a few kB


def open_sources(config: ServerSettings) -> tuple[list[tuple[SourceSpec, Source]], bool]:
    """The sources ``--source`` names (the one likely USB sensor when none), and whether
    ``auto`` asked to keep watching for more."""
    specs = list(config.sources)
    auto = AUTO in specs
    if auto:
        from presshold.firmware_bridge.ports import list_ports

        specs += [p.source for p in list_ports() if p.likely and p.source not in specs]
    elif not specs and not config.broker:  # with --broker, stations may all be remote
        from presshold.firmware_bridge.ports import choose_default_source

        specs = [choose_default_source()]
    data_dir = config.resolved_data_dir
    opened = [
        (
            s,
            open_source(
                s.spec, data_dir=data_dir, rate_hz=config.sim_rate_hz, sim_index=s.sim_index
            ),
        )
        for s in expand(specs)
    ]
    return opened, auto


def create_app(
    config: ServerSettings, sources: Sequence[tuple[SourceSpec, Source]] | None = None
) -> FastAPI:
    """The PressHold server for ``config``; ``sources`` replaces ``config.sources`` (tests)."""
    data_dir = config.resolved_data_dir
    auto = False
    if sources is None:
        opened, auto = open_sources(config)
    else:
        opened = list(sources)
    state = AppState(config, data_dir)
    initial_patch = config.treatment_patch()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = open_store(config, data_dir)
        analyses = MetricsWorker(store)  # time in band of each session as soon as it ends
        analyses.start()
        registry = StationRegistry(
            store,
            data_dir,
            initial_patch=initial_patch,
            on_session_end=analyses.session_ended,
            rate_hz=config.sim_rate_hz,
        )
        state.store, state.stations, state.analyses = store, registry, analyses
        # students, protocols, clients: beside the sessions (a failing engine answers 503)
        records = await asyncio.to_thread(open_records, config, data_dir)
        state.trainer = TrainerService(records.trainer, records.protocols, registry)
        app.state.clients = records.clients  # the practice's client book (issue 15)
        # each station's student and client come back after a restart (if they still exist)
        registry.restore = Assignments(registry, state.trainer, records.clients).restore
        await registry.start(opened, auto=auto)
        remote = await start_remote_stations(config, registry)  # --broker: stations over MQTT
        try:
            yield
        finally:
            if remote is not None:
                await remote.stop()
            analyses.close()  # a session ended below is analysed at the next start
            await registry.stop()
            await asyncio.to_thread(state.trainer.close)
            await asyncio.to_thread(store.close)  # flush: Ctrl-C / SIGTERM lose nothing

    # no /docs or /redoc: they load scripts from a CDN into the origin that holds the token
    # cookie, and fail offline; /openapi.json is the schema for tools
    app = FastAPI(
        title="PressHold", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.add_middleware(
        AccessGuard,
        **access_options(config, MAX_BODY),
        body_limits={"/api/sessions/import": trace_import.MAX_BYTES},  # the file, streamed
    )
    app.state.presshold = state
    http_errors.install(app)
    app.mount("/static", StaticFiles(directory=pages.dashboard_dir()), name="static")
    for module in (
        pages, health, stations, settings, sessions, calibration, live,
        students, protocols, runs, references, trainer_pages,
    ):  # fmt: skip
        app.include_router(module.router)
    for module in (clients, client_signal, thresholds):  # the practice (issue 15)
        app.include_router(module.router)
    return app
