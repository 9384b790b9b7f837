"""Websockets: ``/ws/live?station=ID`` (one station's frames) and ``/ws/overview`` (all)."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from presshold.errors import NotFound
from presshold.server.deps import registry
from presshold.server.viewers import Viewer

router = APIRouter()

POLICY_VIOLATION = 1008


async def _pump(ws: WebSocket, viewer: Viewer) -> None:
    try:
        while True:
            await ws.send_text(await viewer.get())
    except (WebSocketDisconnect, RuntimeError):
        pass


@router.websocket("/ws/live")
async def live(ws: WebSocket) -> None:
    """Status, the last 30 s, then frames and events (docs/protocol.md). An unknown station:
    the socket closes with 1008 and the reason. ``view=trainer``: unmasked during hidden trials."""
    stations = registry(ws)
    try:
        station = stations.get(ws.query_params.get("station"))
    except NotFound as exc:
        await ws.close(code=POLICY_VIOLATION, reason=str(exc)[:120])
        return
    await ws.accept()
    # the trainer's view of a station is never masked by a hidden trial (docs/trainer.md)
    viewer = station.add_viewer(full=ws.query_params.get("view") == "trainer")
    try:
        await _pump(ws, viewer)
    finally:
        station.remove_viewer(viewer)


@router.websocket("/ws/overview")
async def overview(ws: WebSocket) -> None:
    """Every station at 12.5 Hz; stations added or removed appear in the next message."""
    stations = registry(ws)
    await ws.accept()
    viewer = stations.add_overview_viewer()
    try:
        await _pump(ws, viewer)
    finally:
        stations.remove_overview_viewer(viewer)
