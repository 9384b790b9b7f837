"""The smaller findings of the security review (issue 12, item 10), each as a class of fault:
private data files, no CDN scripts in our origin, no terminal escapes reaching a console, and
an export that never destroys the file it replaces."""

from __future__ import annotations

import os
import re
import signal as stdsignal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from support.server import ServerProcess

from presshold.console_text import console_safe
from presshold.firmware_bridge.protocol import LineParser
from presshold.server.routes.pages import dashboard_dir

RUN = [sys.executable, "-m", "presshold"]
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


@posix_only
def test_the_data_dir_and_every_file_in_it_are_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    old = data / "settings.json"
    old.write_text('{"target_n": 30}')
    old.chmod(0o644)  # as an older version left it
    with ServerProcess(data) as srv, httpx.Client(base_url=srv.url) as api:
        api.post("/api/sessions", json={"label": "Mrs Example, left trapezius"}).raise_for_status()
        api.put("/api/settings", json={"target_n": 25}).raise_for_status()
        time.sleep(1.0)
        files = [p for p in data.iterdir() if p.is_file()]
        assert {"sessions.sqlite3", "settings.json", "server.lock"} <= {p.name for p in files}
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        for p in files:
            assert stat.S_IMODE(p.stat().st_mode) & 0o077 == 0, (p.name, oct(p.stat().st_mode))


@posix_only
def test_a_shared_folder_given_as_data_dir_keeps_its_other_files_as_they_were(
    tmp_path: Path,
) -> None:
    from presshold.server.private_files import make_private

    shared = tmp_path / "Documents"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    (shared / "letter.txt").write_text("not PressHold's")
    (shared / "letter.txt").chmod(0o644)
    (shared / "sessions.sqlite3").write_bytes(b"")
    (shared / "sessions.sqlite3").chmod(0o644)
    old_umask = os.umask(0o022)
    try:
        make_private(shared)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((shared / "sessions.sqlite3").stat().st_mode) == 0o600
    assert stat.S_IMODE((shared / "letter.txt").stat().st_mode) == 0o644
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755


def test_no_page_loads_a_script_from_another_origin(tmp_path: Path) -> None:
    """/docs and /redoc pulled Swagger/ReDoc from a CDN into the origin that holds the token
    cookie (and broke offline); every page we serve uses our own files only."""
    with ServerProcess(tmp_path) as srv:
        for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
            assert httpx.get(srv.url + path).status_code == 404, path
        assert httpx.get(srv.url + "/openapi.json").status_code == 200
        pages = [httpx.get(srv.url + p).text for p in ("/", "/sessions", "/sessions/x")]
    pages += [p.read_text() for p in dashboard_dir().glob("*.html")]
    pages += [p.read_text() for p in dashboard_dir().glob("*.js")]
    for text in pages:
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), text[:200]
        assert not re.search(r"""import[^;]*["'](https?:)?//""", text)


HOSTILE = [
    "\x1b]0;owned\x07title",
    "\x1b[2J\x1b[Hclear",
    "bell\x07 and \x9b31m C1 CSI",
    "bidi \u202eevil\u202c",
    "osc-st \x1b]8;;file:///etc/passwd\x1b\\link",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_escape_sequences_never_survive(text: str) -> None:
    safe = console_safe(text)
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", safe), repr(safe)
    assert "?" in safe


def test_device_messages_and_names_reach_nobody_with_escapes() -> None:
    p = LineParser()
    got = p.feed(b"# presshold 1 sensor=hx\x1b[31mred rate=80 unit=raw\n# \x1b]0;pwned\x07 hello\n")
    assert got.hellos and "\x1b" not in got.hellos[0].sensor
    assert got.comments and "\x1b" not in got.comments[0] and "\x07" not in got.comments[0]


def _store_with_label(data_dir: Path, label: str) -> str:
    import numpy as np

    from presshold.server.store import SessionStore

    store = SessionStore(data_dir)
    store.open()
    sid = "20260101-090000-000000-abcd"
    store.create_session({"id": sid, "started_at": "2026-01-01T09:00:00Z", "label": label})
    t = np.arange(200_000) / 1000.0
    for k in range(0, t.size, 5000):
        store.add_block(sid, t[k : k + 5000], t[k : k + 5000] * 0 + 12.5, t[k : k + 5000])
    store.end_session(sid, "2026-01-01T09:10:00Z")
    store.close()
    return sid


def test_presshold_sessions_prints_labels_without_escapes(tmp_path: Path) -> None:
    _store_with_label(tmp_path, "neck\x1b]0;owned\x07\x1b[2J")
    out = subprocess.run(
        [*RUN, "sessions", "--data-dir", str(tmp_path)], capture_output=True, check=True
    ).stdout
    assert b"\x1b" not in out and b"\x07" not in out and b"neck" in out


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_ctrl_c_during_export_leaves_an_existing_file_untouched(tmp_path: Path) -> None:
    sid = _store_with_label(tmp_path, "big")
    whole = tmp_path / "whole.csv"
    subprocess.run([*RUN, "export", sid, "-o", str(whole), "--data-dir", str(tmp_path)], check=True)
    complete = whole.read_text()
    target = tmp_path / "report.csv"
    target.write_text("an earlier export the user keeps\n")
    target.chmod(0o640)
    for delay in (0.05, 0.3, 0.8):  # early and late in the write
        proc = subprocess.Popen(
            [*RUN, "export", sid, "-o", str(target), "--data-dir", str(tmp_path)],
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(stdsignal.SIGINT)
        proc.wait(60)
        text = target.read_text()
        # the old file, or the whole export (the signal may land after the file was replaced,
        # before the process exits): never a part of one
        assert text in ("an earlier export the user keeps\n", complete)
        assert not list(tmp_path.glob(".report.csv.*")), "temporary file left behind"
        if text == complete:
            break
    r = subprocess.run(
        [*RUN, "export", sid, "-o", str(target), "--data-dir", str(tmp_path)], check=True
    )
    assert r.returncode == 0 and target.read_text().count("\n") > 100_000
    assert stat.S_IMODE(target.stat().st_mode) == 0o640 or os.name == "nt"  # mode kept
