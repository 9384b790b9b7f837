"""Access token and Origin checks on the real server (token forced on, still on loopback)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
import websockets
from support.server import ServerProcess

TOKEN = "t0k3n-for-the-classroom-test"


async def _ws_outcome(url: str, **kw: object) -> tuple[str, int | None, str]:
    """('message', None, type of first message) or ('closed', code, reason)."""
    async with websockets.connect(url, **kw) as ws:  # type: ignore[arg-type]
        try:
            first = json.loads(await asyncio.wait_for(ws.recv(), 5))
        except websockets.ConnectionClosed as closed:
            return (
                "closed",
                closed.rcvd.code if closed.rcvd else None,
                (closed.rcvd.reason if closed.rcvd else ""),
            )
        return "message", None, first["type"]


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with ServerProcess(tmp_path_factory.mktemp("access"), token=TOKEN) as server:
        yield server


def test_http_needs_the_token(srv: ServerProcess) -> None:
    for path in ("/", "/api/health", "/api/sessions", "/static/app.js", "/openapi.json"):
        r = httpx.get(srv.url + path)
        assert r.status_code == 401, path
        assert "token" in r.json()["detail"]
    assert httpx.get(srv.url + "/api/health?token=wrong-token-wrong-token").status_code == 401
    assert (
        httpx.post(srv.url + "/api/tare", headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )
    assert httpx.get(srv.url + "/api/health", headers=srv.headers).status_code == 200


def test_token_link_sets_a_strict_httponly_cookie_that_then_suffices(srv: ServerProcess) -> None:
    with httpx.Client(base_url=srv.url) as browser:
        page = browser.get(f"/?token={TOKEN}")
        assert page.status_code == 200 and "<html" in page.text.lower()
        cookie = page.headers["set-cookie"]
        assert f"={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert browser.get("/api/settings").status_code == 200  # relative fetch, cookie only
        assert browser.get("/static/app.js").status_code == 200
        name = cookie.split("=", 1)[0]

    async def scenario() -> None:
        ok = await _ws_outcome(srv.ws_url, additional_headers={"Cookie": f"{name}={TOKEN}"})
        assert ok == ("message", None, "status")
        assert (await _ws_outcome(f"{srv.ws_url}?token={TOKEN}"))[0] == "message"
        kind, code, reason = await _ws_outcome(srv.ws_url)
        assert (kind, code) == ("closed", 1008) and "token" in reason
        kind, code, _ = await _ws_outcome(
            srv.ws_url, additional_headers={"Cookie": f"{name}=not-the-token-at-all"}
        )
        assert (kind, code) == ("closed", 1008)

    asyncio.run(scenario())


def test_origin_must_match_host(tmp_path: Path) -> None:
    with ServerProcess(tmp_path) as plain:  # loopback, no token: Origin is still checked

        async def scenario() -> None:
            same = await _ws_outcome(plain.ws_url, origin=plain.url)
            assert same == ("message", None, "status")
            kind, code, reason = await _ws_outcome(plain.ws_url, origin="http://evil.example")
            assert (kind, code) == ("closed", 1008) and "origin" in reason

        asyncio.run(scenario())
        evil = {"Origin": "http://evil.example"}
        r = httpx.post(plain.url + "/api/sessions", json={}, headers=evil)
        assert r.status_code == 403 and r.json()["detail"] == "cross-origin request refused"
        assert httpx.get(plain.url + "/api/settings", headers=evil).status_code == 200
        assert httpx.get(plain.url + "/api/health").status_code == 200  # no token on loopback


@pytest.mark.browser
def test_dashboard_runs_from_the_token_link_in_a_real_browser(srv: ServerProcess) -> None:
    from support.browser import launch_browser

    with launch_browser() as browser:
        page = browser.new_page()  # type: ignore[attr-defined]
        page.goto(f"{srv.url}/?token={TOKEN}")
        page.locator("#status[data-state='simulated']").wait_for(timeout=10000)  # websocket up
        meter = page.get_by_role("meter")
        first = meter.get_attribute("aria-valuenow")
        page.wait_for_function(
            f"document.querySelector('[role=meter]').getAttribute('aria-valuenow') !== '{first}'",
            timeout=10000,
        )
        assert page.evaluate("document.cookie") == ""  # HttpOnly: invisible to scripts
        later = page.goto(f"{srv.url}/sessions")  # a later visit without ?token still works
        assert later is not None and later.status == 200
        page.close()
