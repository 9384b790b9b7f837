"""FastAPI app: dashboard pages, ``/api/health`` and the ``/ws/live`` stream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, HTTPException, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from presshold import __version__
from presshold.firmware_bridge.source import Source
from presshold.firmware_bridge.sources import SimulatedSource
from presshold.server import calibration_routes, http_errors, settings_api
from presshold.server.live import LiveHub
from presshold.server.recorder import Recorder
from presshold.server.sessions_routes import build_router
from presshold.server.store import SessionStore


def dashboard_dir() -> Path:
    return Path(str(resources.files("presshold.dashboard")))


def create_app(source: Source, data_dir: Path) -> FastAPI:
    state: dict[str, LiveHub] = {}
    settings_path = data_dir / "settings.json"
    current = {"settings": settings_api.load(settings_path)}

    def follow(s: settings_api.TreatmentSettings) -> None:
        if isinstance(source, SimulatedSource):
            source.follow_settings(s.target_n, s.tolerance_n, s.hold_s)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = SessionStore(data_dir)
        store.open()
        hub = LiveHub(source, asyncio.get_running_loop(), Recorder(store))
        state["hub"] = hub
        hub.apply_settings(current["settings"].model_dump())
        follow(current["settings"])
        source.start(hub)
        task = asyncio.create_task(hub.run_frames())
        try:
            yield
        finally:
            task.cancel()
            source.stop()
            hub.recorder.stop()
            store.close()  # flush: Ctrl-C / SIGTERM lose nothing

    app = FastAPI(title="PressHold", version=__version__, lifespan=lifespan)
    http_errors.install(app)
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

    @app.get("/api/health")
    def health() -> dict[str, object]:
        hub = state["hub"]
        return {
            "status": "ok",
            "version": __version__,
            "connected": hub.status_obj.connected,
            "recording": hub.recorder.recording,
        }

    app.include_router(build_router(lambda: state["hub"]))
    app.include_router(calibration_routes.build_router(lambda: state["hub"]))

    @app.get("/api/settings")
    def get_settings() -> dict[str, object]:
        return current["settings"].model_dump()

    @app.put("/api/settings")
    def put_settings(patch: settings_api.SettingsPatch) -> dict[str, object]:
        try:
            new = settings_api.apply(current["settings"], patch)
        except ValueError as exc:
            raise HTTPException(422, detail=str(exc)) from None
        current["settings"] = new
        try:
            settings_api.save(settings_path, new)
        except OSError as exc:
            raise HTTPException(507, detail=f"settings applied but not saved: {exc}") from None
        finally:
            follow(new)
            state["hub"].apply_settings(new.model_dump())
        return new.model_dump()

    @app.websocket("/ws/live")
    async def live(ws: WebSocket) -> None:
        hub = state["hub"]
        await ws.accept()
        q = hub.add_viewer()
        try:
            while True:
                await ws.send_json(await q.get())
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            hub.remove_viewer(q)

    return app
