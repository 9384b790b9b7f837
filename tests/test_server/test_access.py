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
        assert httpx.get(plain.url + "/api/settings", headers=evil).status_code == 403
        assert httpx.get(plain.url + "/api/health").status_code == 200  # no token on loopback
        local = {"Origin": f"http://localhost:{plain.port}"}
        assert httpx.get(plain.url + "/api/settings", headers=local).status_code == 200


def test_dns_rebinding_is_refused_on_a_loopback_bind_without_token(tmp_path: Path) -> None:
    """evil.example re-pointed at 127.0.0.1: its page is "same origin" with itself, but the
    Host it sends is not a local name, so nothing is served, changed or streamed."""
    with ServerProcess(tmp_path) as plain:
        port = plain.port
        rebound = {"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"}
        for method, path in (
            ("GET", "/api/sessions"),
            ("GET", "/api/settings"),
            ("GET", "/"),
            ("PUT", "/api/settings"),
        ):
            r = httpx.request(method, plain.url + path, headers=rebound, json={"target_n": 42})
            assert r.status_code == 403, (method, path)
            assert "host not allowed" in r.json()["detail"]
        r = httpx.get(plain.url + "/api/settings", headers={"Host": f"evil.example:{port}"})
        assert r.status_code == 403  # no Origin (a plain navigation) is still refused
        assert httpx.get(plain.url + "/api/settings").json()["target_n"] != 42
        for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "LOCALHOST"):
            r = httpx.get(plain.url + "/api/health", headers={"Host": host})
            assert r.status_code == 200, host
        ok_origin = {"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"}
        assert httpx.put(plain.url + "/api/settings", headers=ok_origin, json={}).status_code == 200

        async def scenario() -> None:
            kind, code, reason = await _ws_outcome(  # Host evil.example, TCP to 127.0.0.1
                f"ws://evil.example:{port}/ws/live", host="127.0.0.1", port=port
            )
            assert (kind, code) == ("closed", 1008) and "host" in reason
            kind, code, _ = await _ws_outcome(plain.ws_url, origin=f"http://evil.example:{port}")
            assert (kind, code) == ("closed", 1008)
            local = await _ws_outcome(plain.ws_url, origin=f"http://localhost:{port}")
            assert local[0] == "closed"  # Origin must also match Host (127.0.0.1:port)

        asyncio.run(scenario())


def test_token_bind_still_serves_other_host_names(srv: ServerProcess) -> None:
    """A LAN bind is reached by its IP or name: the token, not the Host, protects it."""
    r = httpx.get(srv.url + "/api/health", headers={**srv.headers, "Host": "classroom.lan:8000"})
    assert r.status_code == 200


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


def test_a_malformed_cookie_from_another_app_does_not_hide_the_token(srv: ServerProcess) -> None:
    """Browsers send every cookie of the host; one that ``SimpleCookie`` chokes on (another app
    on this machine set it) must not lose ours."""
    name = f"presshold_token_{srv.port}"
    for other in ('theme="dark', "a=b c", '{"a":1}=x'):
        cookie = f"{other}; {name}={TOKEN}"
        r = httpx.get(srv.url + "/api/health", headers={"Cookie": cookie})
        assert r.status_code == 200, cookie
    bad = httpx.get(srv.url + "/api/health", headers={"Cookie": f'a="x; {name}=nope-nope'})
    assert bad.status_code == 401
