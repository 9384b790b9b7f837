"""Settings API validation and persistence against the real server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
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


def test_a_target_alone_gets_the_default_per_cent_of_that_target() -> None:
    """A simulated hand aiming at 20 N once got 10 % *and* the 30 N default's 3 N: the controls
    showed 18–22 N while the detector (and the dial) used 17–23 N."""
    from presshold.treatment import TreatmentSettings

    for target in (15.0, 20.0, 25.0, 35.0):
        s = TreatmentSettings(target_n=target)
        assert s.tolerance_pct == 10.0 and s.tolerance_n == pytest.approx(target / 10)
        assert s.to_hold_params().tolerance_n == pytest.approx(target / 10)
    fixed = TreatmentSettings(target_n=20, tolerance_n=4)  # a fixed tolerance stays as given
    assert fixed.tolerance_n == 4 and fixed.tolerance_pct is None
