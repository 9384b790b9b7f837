"""Settings precedence (flags > PRESSHOLD_* > defaults), the one data dir, and process behaviour."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from support.server import ServerProcess, free_port, wait_for

from presshold.errors import ConfigError
from presshold.server.config import default_data_dir, load_settings

PRESSHOLD = [sys.executable, "-m", "presshold"]


def test_flags_override_environment_override_defaults(tmp_path: Path) -> None:
    assert load_settings({}, {}).http_port == 8000
    env = {"PRESSHOLD_HTTP_PORT": "9001", "PRESSHOLD_TARGET": "3kgf", "PRESSHOLD_HOLD": "20"}
    s = load_settings({"http_port": 9002}, env)
    assert s.http_port == 9002 and s.hold_s == 20.0
    assert s.treatment_patch()["target_n"] == pytest.approx(29.41995)
    assert load_settings({}, env).http_port == 9001
    assert load_settings({}, {"PRESSHOLD_DATA_DIR": str(tmp_path)}).data_dir == tmp_path
    assert (
        load_settings({"open_browser": False}, {"PRESSHOLD_OPEN_BROWSER": "1"}).open_browser
        is False
    )


def test_tolerance_forms_and_bad_values() -> None:
    assert load_settings({"tolerance": "10%"}, {}).treatment_patch() == {"tolerance_pct": 10.0}
    patch = load_settings({"tolerance": "3N"}, {}).treatment_patch()
    assert patch == {"tolerance_n": 3.0, "tolerance_pct": None}
    for bad in ({"tolerance": "-3N"}, {"tolerance": "0%"}, {"hold_s": -1.0}, {"target": "heavy"}):
        with pytest.raises(ConfigError):
            load_settings(bad, {})
    with pytest.raises(ConfigError, match="PRESSHOLD_HTTP_PORT"):
        load_settings({}, {"PRESSHOLD_HTTP_PORT": "eighty"})


def test_token_only_off_loopback_unless_forced() -> None:
    assert load_settings({}, {}).token is None
    assert load_settings({"host": "::1"}, {}).token is None
    lan = load_settings({"host": "0.0.0.0"}, {})
    assert lan.token_required and lan.token and len(lan.token) >= 32
    forced = load_settings({}, {"PRESSHOLD_REQUIRE_TOKEN": "1", "PRESSHOLD_TOKEN": "x" * 20})
    assert forced.token == "x" * 20


def test_one_data_dir_for_every_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from presshold.cli.device import default_data_dir as calibrate_default

    monkeypatch.delenv("PRESSHOLD_DATA_DIR", raising=False)
    assert calibrate_default() == default_data_dir()
    assert default_data_dir().name == "PressHold"
    monkeypatch.setenv("PRESSHOLD_DATA_DIR", str(tmp_path))
    assert calibrate_default() == default_data_dir() == tmp_path


def test_busy_port_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = subprocess.run(
            [*PRESSHOLD, "serve", "--source", "sim", "--http-port", str(port), "--no-browser"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PRESSHOLD_DATA_DIR": str(tmp_path)},
        )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        f"presshold serve: error: port {port} on 127.0.0.1 is already in use "
        "(is PressHold already running?); choose another with --http-port"
    ]


def test_initial_settings_from_flags_and_env(tmp_path: Path) -> None:
    env = {"PRESSHOLD_HOLD": "12"}
    with ServerProcess(
        tmp_path, extra_args=["--target", "3kgf", "--tolerance", "2N"], env=env
    ) as srv:
        s = httpx.get(f"{srv.url}/api/settings").json()
        assert s["target_n"] == pytest.approx(29.41995) and s["tolerance_n"] == 2.0
        assert s["tolerance_pct"] is None and s["hold_s"] == 12.0


def test_demo_opens_the_browser_and_sigterm_exits_0(tmp_path: Path) -> None:
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "fake-browser"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(browser.stat().st_mode | stat.S_IEXEC)
    port = free_port()
    env = {
        **os.environ,
        "BROWSER": str(browser),
        "PRESSHOLD_HTTP_PORT": str(port),
        "PRESSHOLD_DATA_DIR": str(tmp_path / "data"),
    }
    log = tmp_path / "demo.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([*PRESSHOLD, "demo"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: opened.exists() and opened.read_text().strip(), 30, "browser opened")
        assert opened.read_text().strip() == f"http://127.0.0.1:{port}/"
        assert httpx.get(f"http://127.0.0.1:{port}/api/health").json()["status"] == "ok"
        proc.terminate()  # SIGTERM
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text()
    assert f"http://127.0.0.1:{port}/" in text and "Traceback" not in text
    assert (tmp_path / "data" / "sessions.sqlite3").exists()


def test_lan_url_carries_the_token() -> None:
    from presshold.cli.serve import urls

    lan = load_settings({"host": "0.0.0.0"}, {})
    shown, local = urls(lan, 8000)
    assert shown == f"http://{socket.gethostname()}:8000/?token={lan.token}"
    assert local == f"http://127.0.0.1:8000/?token={lan.token}"
    assert urls(load_settings({}, {}), 8000) == ("http://127.0.0.1:8000/",) * 2


def test_every_setting_reads_its_environment_variable(tmp_path: Path) -> None:
    import dataclasses

    from presshold.server.config import ENV_PARSERS, ServerSettings

    for field in dataclasses.fields(ServerSettings):
        assert field.name in ENV_PARSERS or field.type in ("str", "str | None"), field.name
    env = {
        "PRESSHOLD_SOURCE": "sim",
        "PRESSHOLD_HOST": "::1",
        "PRESSHOLD_DATA_DIR": str(tmp_path),
        "PRESSHOLD_TOLERANCE": "5%",
        "PRESSHOLD_SIM_RATE": "500",
        "PRESSHOLD_STORE_MAX_MB": "50",
        "PRESSHOLD_OPEN_BROWSER": "no",
        "PRESSHOLD_REQUIRE_TOKEN": "yes",
    }
    s = load_settings({}, env)
    assert (s.sources, s.host, s.data_dir, s.tolerance) == (("sim",), "::1", tmp_path, "5%")
    assert (s.sim_rate_hz, s.store_max_mb, s.open_browser) == (500.0, 50.0, False)
    assert s.token_required and s.token
