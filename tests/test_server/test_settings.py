"""Settings API validation and persistence against the real server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import websockets
from support.server import ServerProcess


def test_settings_validate_persist_and_reach_status(tmp_path: Path) -> None:
    with ServerProcess(tmp_path) as srv:
        assert httpx.get(f"{srv.url}/api/settings").json()["target_n"] == 30.0
        r = httpx.put(f"{srv.url}/api/settings", json={"target_n": -5})
        assert r.status_code == 422 and r.json()["detail"]
        assert httpx.put(f"{srv.url}/api/settings", json={"bogus": 1}).status_code == 422
        r = httpx.put(f"{srv.url}/api/settings", json={"target_n": 40, "tolerance_pct": 5})
        assert r.status_code == 200 and r.json()["tolerance_n"] == 2.0

        async def first_status() -> dict[str, object]:
            async with websockets.connect(srv.ws_url) as ws:
                return json.loads(await ws.recv())

        assert asyncio.run(first_status())["settings"]["target_n"] == 40  # type: ignore[index]
    with ServerProcess(tmp_path) as srv:  # persisted across restarts
        assert httpx.get(f"{srv.url}/api/settings").json()["target_n"] == 40
