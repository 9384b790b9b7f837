"""Application factory: wires the source, the live hub, the recorder and the HTTP/websocket routes.

``create_app(settings)`` is all a caller needs; the source is opened here (a bad ``--source`` fails
before the port is taken) and started/stopped by the app's lifespan, which also flushes the store.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from presshold import __version__
from presshold.firmware_bridge.source import Source
from presshold.firmware_bridge.sources import SimulatedSource, open_source
from presshold.server import api_models, calibration_routes, http_errors, settings_api
from presshold.server.access import AccessGuard, access_options
from presshold.server.config import ServerSettings
from presshold.server.live import LiveHub
from presshold.server.recorder import Recorder
from presshold.server.session_metrics import MetricsWorker
from presshold.server.sessions_routes import build_router as sessions_router
from presshold.server.store import SessionStore

MAX_BODY = 64 * 1024  # the largest legitimate body (session notes) is a few kB


def dashboard_dir() -> Path:
    return Path(str(resources.files("presshold.dashboard")))


@dataclass
class AppState:
    """What the routes share; ``hub`` exists between lifespan start and stop."""

    settings: ServerSettings
    source: Source
    data_dir: Path
    treatment: settings_api.TreatmentSettings
    hub_: LiveHub | None = field(default=None)

    @property
    def hub(self) -> LiveHub:
        if self.hub_ is None:
            raise RuntimeError("the live hub is not running")
        return self.hub_

    def apply_treatment(self, new: settings_api.TreatmentSettings) -> None:
        """New target/tolerance/hold: the simulated hand aims at it, the pipeline uses it."""
        self.treatment = new
        if isinstance(self.source, SimulatedSource):
            self.source.follow_settings(new.target_n, new.tolerance_n, new.hold_s)
        if self.hub_ is not None:
            self.hub_.apply_settings(new.model_dump())


def create_app(settings: ServerSettings, source: Source | None = None) -> FastAPI:
    """The PressHold server for ``settings``; ``source`` overrides ``settings.source`` (tests)."""
    data_dir = settings.resolved_data_dir
    if source is None:
        spec = settings.source
        if spec is None:
            from presshold.firmware_bridge.sources import choose_default_source

            spec = choose_default_source()
        source = open_source(spec, data_dir=data_dir, rate_hz=settings.sim_rate_hz)
    treatment = settings_api.initial(data_dir / "settings.json", settings.treatment_patch())
    state = AppState(settings, source, data_dir, treatment)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        quota = settings.store_max_mb
        store = SessionStore(data_dir, None if quota is None else int(quota * 1024 * 1024))
        store.open()
        analyses = MetricsWorker(store)  # time in band of each session as soon as it ends
        analyses.start()
        recorder = Recorder(store, on_end=analyses.session_ended)
        hub = LiveHub(state.source, asyncio.get_running_loop(), recorder)
        state.hub_ = hub
        state.apply_treatment(state.treatment)
        state.source.start(hub)
        frames = asyncio.create_task(hub.run_frames())
        try:
            yield
        finally:
            frames.cancel()
            analyses.close()  # the session ended below is analysed at the next start
            await asyncio.to_thread(state.source.stop)
            hub.drain()  # readings the source parked before it stopped are recorded too
            hub.recorder.stop()
            await asyncio.to_thread(store.close)  # flush: Ctrl-C / SIGTERM lose nothing

    # no /docs or /redoc: they load scripts from a CDN into the origin that holds the token
    # cookie, and fail offline; /openapi.json is the schema for tools
    app = FastAPI(
        title="PressHold", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.add_middleware(AccessGuard, **access_options(settings, MAX_BODY))
    app.state.presshold = state
    http_errors.install(app)
    _pages(app)

    @app.get("/api/health", response_model=api_models.Health)
    async def health() -> dict[str, object]:  # on the loop: reads live state consistently
        hub = state.hub
        return {
            "status": "ok",
            "version": __version__,
            "connected": hub.status_obj.connected,
            "recording": hub.recorder.recording,
            "storage_ok": hub.recorder.store.ok,
            **hub.viewer_stats(),
        }

    app.include_router(settings_api.build_router(state))
    app.include_router(sessions_router(lambda: state.hub))
    app.include_router(calibration_routes.build_router(lambda: state.hub))

    @app.websocket("/ws/live")
    async def live(ws: WebSocket) -> None:
        hub = state.hub
        await ws.accept()
        viewer = hub.add_viewer()
        try:
            while True:
                await ws.send_text(await viewer.get())
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            hub.remove_viewer(viewer)

    return app


def _pages(app: FastAPI) -> None:
    static = dashboard_dir()
    app.mount("/static", StaticFiles(directory=static), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(static / "index.html")

    @app.get("/sessions", include_in_schema=False)
    def sessions_page() -> FileResponse:
        return FileResponse(static / "sessions.html")

    @app.get("/sessions/{session_id}", include_in_schema=False)
    def session_page(session_id: str) -> FileResponse:
        return FileResponse(static / "session.html")
