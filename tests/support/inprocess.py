"""The real app in this process on fake sources: HTTP through httpx's ASGI transport, with the
app's lifespan run, so station and route behaviour is tested in milliseconds."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from presshold.firmware_bridge.sources import SourceSpec
from presshold.server.app import create_app
from presshold.server.config import ServerSettings
from presshold.server.deps import AppState
from presshold.server.stations import StationRegistry
from presshold.server.viewers import Viewer
from support.fake_source import FakeSource


class InProcess:
    def __init__(self, app: FastAPI, client: httpx.AsyncClient, fakes: dict[str, FakeSource]):
        self.app, self.client, self.fakes = app, client, fakes

    @property
    def stations(self) -> StationRegistry:
        state: AppState = self.app.state.presshold
        assert state.stations is not None
        return state.stations

    async def settle(self, until: Callable[[], object] | None = None, timeout_s: float = 2.0):
        """Let the loop run the stations' wake-ups (until ``until()`` is true)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout_s
        while True:
            await asyncio.sleep(0.01)
            if until is None or until():
                return
            if loop.time() > end:
                raise AssertionError("condition not met in time")


@asynccontextmanager
async def running(
    tmp_path: Path, names: tuple[str, ...] = ("fake",), **settings: object
) -> AsyncIterator[InProcess]:
    fakes = {n: FakeSource(n) for n in names}
    config = ServerSettings(data_dir=tmp_path, **settings)  # type: ignore[arg-type]
    app = create_app(config, sources=[(SourceSpec(n, n), f) for n, f in fakes.items()])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            yield InProcess(app, client, fakes)


async def drain(viewer: Viewer, quiet_s: float) -> list[dict[str, Any]]:
    """Every message queued for ``viewer`` until none comes for ``quiet_s``, decoded."""
    got = []
    while True:
        try:
            got.append(json.loads(await asyncio.wait_for(viewer.get(), quiet_s)))
        except TimeoutError:
            return got
