"""Who may reach the server (issue 12, item 6): a token is printed only when it is checked, a
LAN bind without a token needs a loudly named flag, and then the Host allow-list still applies."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from presshold.cli.serve import urls
from presshold.errors import ConfigError
from presshold.server.access import host_check
from presshold.server.app import create_app
from presshold.server.config import load_settings


def test_lan_without_token_is_refused_unless_the_insecure_flag_says_so() -> None:
    with pytest.raises(ConfigError, match="--insecure-no-token"):
        load_settings({"host": "0.0.0.0"}, {"PRESSHOLD_REQUIRE_TOKEN": "0"})
    open_lan = load_settings({"host": "0.0.0.0", "insecure_no_token": True}, {})
    assert not open_lan.token_required and open_lan.token is None
    env_flag = load_settings({"host": "0.0.0.0"}, {"PRESSHOLD_INSECURE_NO_TOKEN": "1"})
    assert env_flag.token is None


def test_a_token_is_set_exactly_when_it_is_checked() -> None:
    given = {"PRESSHOLD_TOKEN": "a-token-given-by-the-user"}
    on = load_settings({}, given)  # given on loopback: it is enforced, not just printed
    assert on.token_required and on.token == "a-token-given-by-the-user"
    off = load_settings({}, {**given, "PRESSHOLD_REQUIRE_TOKEN": "0"})
    assert not off.token_required and off.token is None  # nothing would check it: never shown
    lan = load_settings({"host": "0.0.0.0", "insecure_no_token": True}, given)
    assert lan.token is None


def test_tokens_are_url_safe_and_links_carry_them_intact() -> None:
    for bad in ("plus+plus+plus+plus", "and&and&and&and&and", "with spaces in it ok"):
        with pytest.raises(ConfigError, match="letters, digits"):
            load_settings({}, {"PRESSHOLD_TOKEN": bad})
    s = load_settings({"host": "0.0.0.0"}, {})
    assert s.token is not None
    printed, local = urls(s, 8123)
    assert printed.endswith(f"/?token={s.token}") and local.startswith("http://127.0.0.1:8123/")


def test_the_cli_refuses_an_open_lan_bind_with_one_clear_line(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "presshold", "serve", "--host", "0.0.0.0", "--source", "sim",
         "--no-browser", "--data-dir", str(tmp_path)],
        env={"PRESSHOLD_REQUIRE_TOKEN": "0", "PATH": ""},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode != 0 and "--insecure-no-token" in r.stderr
    assert "Traceback" not in r.stderr and "token=" not in r.stdout


def test_the_host_allow_list_holds_on_an_open_lan_bind(tmp_path: Path) -> None:
    settings = load_settings(
        {"host": "0.0.0.0", "insecure_no_token": True, "sources": ("sim",), "data_dir": tmp_path},
        {},
    )
    allowed = host_check(settings)
    assert allowed is not None
    for ok in ("192.168.1.20:8000", "[fe80::1]:8000", "localhost", socket.gethostname()):
        assert allowed(ok), ok
    for bad in ("evil.example:8000", "classroom.evil.example", "[broken"):
        assert not allowed(bad), bad
    assert host_check(load_settings({"host": "0.0.0.0"}, {})) is None  # the token guards it

    async def scenario() -> None:
        app = create_app(settings)  # the real middleware stack; pages need no running hub
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
            rebound = await client.get("/", headers={"Host": "evil.example:8000"})
            assert rebound.status_code == 403 and "host not allowed" in rebound.json()["detail"]
            by_ip = await client.get("/", headers={"Host": "192.168.1.20:8000"})
            assert by_ip.status_code == 200

    asyncio.run(scenario())
