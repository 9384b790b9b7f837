"""FastAPI app: dashboard pages, ``/api/health`` and the ``/ws/live`` stream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from presshold import __version__
from presshold.firmware_bridge.source import Source
from presshold.server.live import LiveHub


def dashboard_dir() -> Path:
    return Path(str(resources.files("presshold.dashboard")))


def create_app(source: Source) -> FastAPI:
    state: dict[str, LiveHub] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hub = LiveHub(source, asyncio.get_running_loop())
        state["hub"] = hub
        source.start(hub)
        task = asyncio.create_task(hub.run_frames())
        try:
            yield
        finally:
            task.cancel()
            source.stop()

    app = FastAPI(title="PressHold", version=__version__, lifespan=lifespan)
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
            "recording": False,
        }

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
