"""Application factory: the one place where stations, store, analysis and routes are assembled.

``create_app(settings)`` is all a caller needs. The sources are opened here, so a bad
``--source`` fails before the port is taken; the app's lifespan starts the stations and, when it
ends, stops every source, records what they parked and flushes the store (Ctrl-C and SIGTERM
lose nothing). Tests pass ``sources=`` to run stations on in-process fakes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from presshold import __version__
from presshold.clinic.repository import ClientRepository
from presshold.firmware_bridge.source import Source
from presshold.firmware_bridge.sources import AUTO, SourceSpec, expand, open_source
from presshold.server import http_errors
from presshold.server.access import AccessGuard
from presshold.server.config import ServerSettings, is_loopback
from presshold.server.deps import AppState
from presshold.server.metrics_worker import MetricsWorker
from presshold.server.routes import (
    calibration,
    client_signal,
    clients,
    health,
    live,
    pages,
    sessions,
    settings,
    stations,
    thresholds,
)
from presshold.server.stations import StationRegistry
from presshold.server.store import SessionStore

MAX_BODY = 64 * 1024  # the largest legitimate body (session notes) is a few kB


def open_sources(config: ServerSettings) -> tuple[list[tuple[SourceSpec, Source]], bool]:
    """The sources ``--source`` names (the one likely USB sensor when none), and whether
    ``auto`` asked to keep watching for more."""
    specs = list(config.sources)
    auto = AUTO in specs
    if auto:
        from presshold.firmware_bridge.ports import list_ports

        specs += [p.device for p in list_ports() if p.likely and p.device not in specs]
    elif not specs:
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
        quota = config.store_max_mb
        store = SessionStore(data_dir, None if quota is None else int(quota * 1024 * 1024))
        store.open()
        analyses = MetricsWorker(store)  # time in band of each session as soon as it ends
        analyses.start()
        registry = StationRegistry(
            store,
            data_dir,
            initial_patch=initial_patch,
            on_session_end=analyses.session_ended,
            rate_hz=config.sim_rate_hz,
        )
        state.store, state.stations = store, registry
        await registry.start(opened, auto=auto)
        try:
            yield
        finally:
            analyses.close()  # a session ended below is analysed at the next start
            await registry.stop()
            await asyncio.to_thread(store.close)  # flush: Ctrl-C / SIGTERM lose nothing

    app = FastAPI(title="PressHold", version=__version__, lifespan=lifespan)
    token = config.token if config.token_required else None
    app.add_middleware(
        AccessGuard,
        token=token,
        max_body=MAX_BODY,
        local_names_only=token is None and is_loopback(config.host),
    )
    app.state.presshold = state
    app.state.clients = ClientRepository(data_dir)  # the practice's client book (issue 15)
    http_errors.install(app)
    app.mount("/static", StaticFiles(directory=pages.dashboard_dir()), name="static")
    for module in (pages, health, stations, settings, sessions, calibration, live):
        app.include_router(module.router)
    for module in (clients, client_signal, thresholds):  # the practice (issue 15)
        app.include_router(module.router)
    return app
