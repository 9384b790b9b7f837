"""``/api/clients`` and clients at stations, in process on fake sources."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import stat
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from support.inprocess import InProcess, running

pytestmark = pytest.mark.anyio


async def _client(app: InProcess, **body: object) -> dict:
    r = await app.client.post("/api/clients", json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def _record(app: InProcess, station: str, force: float = 20.0, n: int = 50) -> None:
    """Readings at ``station`` until the store has them."""
    app.fakes[station].push(np.full(n, force))
    await app.settle()


async def test_clients_crud_and_validation(tmp_path: Path) -> None:
    async with running(tmp_path) as app:
        c = await _client(app, name="Bea", sensitivity="sensitive", presets={"target_n": 12})
        assert c["presets"]["target_n"] == 12 and c["created_at"].endswith("Z")
        assert (await app.client.get(f"/api/clients/{c['id']}")).json()["name"] == "Bea"
        r = await app.client.patch(f"/api/clients/{c['id']}", json={"notes": "neck"})
        assert r.json()["notes"] == "neck" and r.json()["name"] == "Bea"
        assert [x["id"] for x in (await app.client.get("/api/clients")).json()] == [c["id"]]
        bad = await app.client.post("/api/clients", json={"name": ""})
        assert bad.status_code == 422 and "name" in bad.json()["detail"]
        bad = await app.client.post("/api/clients", json={"name": "x", "presets": {"target_n": -1}})
        assert bad.status_code == 422
        bad = await app.client.patch(f"/api/clients/{c['id']}", json={"name": None})
        assert bad.status_code == 422
        missing = await app.client.get("/api/clients/c-nope")
        assert missing.status_code == 404 and "c-nope" in missing.json()["detail"]
        assert (await app.client.delete("/api/clients/c-nope")).status_code == 404


async def test_choosing_a_client_applies_presets_and_tags_sessions(tmp_path: Path) -> None:
    async with running(tmp_path, ("a", "b")) as app:
        bea = await _client(app, name="Bea", presets={"target_n": 12, "hold_s": 60})
        cy = await _client(app, name="Cy")
        # a session auto-started before anyone was chosen is claimed by the client chosen
        await _record(app, "a")
        auto = app.stations.get("a").recorder.session
        assert auto is not None and auto["client_id"] is None
        r = await app.client.patch("/api/stations/a", json={"client_id": bea["id"]})
        assert r.status_code == 200 and r.json()["client_id"] == bea["id"]
        assert r.json()["settings"]["target_n"] == 12 and r.json()["settings"]["hold_s"] == 60
        assert app.stations.get("a").recorder.session["id"] == auto["id"]  # type: ignore[index]
        # another client on the same table: a new session, theirs
        r = await app.client.patch("/api/stations/a", json={"client_id": cy["id"]})
        assert r.json()["settings"]["target_n"] == 12  # Cy has no presets: settings stay
        cy_session = app.stations.get("a").recorder.session
        assert cy_session is not None and cy_session["id"] != auto["id"]
        # POST /api/sessions for a client at station b
        r = await app.client.post("/api/sessions?station=b", json={"client_id": bea["id"]})
        assert r.status_code == 201 and r.json()["client_id"] == bea["id"]
        assert (await app.client.get("/api/stations/b")).json()["settings"]["target_n"] == 12
        await _record(app, "b")
        await app.client.post("/api/sessions/current/stop?station=b")
        theirs = (await app.client.get(f"/api/sessions?client={bea['id']}")).json()
        assert {s["id"] for s in theirs} == {auto["id"], r.json()["id"]}
        assert all(s["client_id"] == bea["id"] for s in theirs)
        cys = (await app.client.get(f"/api/sessions?client={cy['id']}")).json()
        assert [s["id"] for s in cys] == [cy_session["id"]]
        detail = (await app.client.get(f"/api/sessions/{r.json()['id']}")).json()
        assert detail["client_id"] == bea["id"]
        unknown = await app.client.get("/api/sessions?client=c-nope")
        assert unknown.status_code == 404
        bad = await app.client.patch("/api/stations/a", json={"client_id": "c-nope"})
        assert bad.status_code == 404
        r = await app.client.patch("/api/stations/a", json={"client_id": None})
        assert r.json()["client_id"] is None
        assert app.stations.get("a").recorder.session["id"] == cy_session["id"]  # type: ignore[index]


async def test_export_has_everything_and_neutralises_formulas(tmp_path: Path) -> None:
    async with running(tmp_path) as app:
        c = await _client(app, name="=cmd|' /C calc'!A0", notes="@SUM(1)")
        r = await app.client.post(
            "/api/sessions", json={"client_id": c["id"], "label": "+shoulder", "notes": "-x"}
        )
        sid = r.json()["id"]
        await _record(app, "fake", 20.0, 100)
        mark = await app.client.post(
            f"/api/sessions/{sid}/marks", json={"label": "=trap", "side": "L"}
        )
        assert mark.status_code == 201
        await app.client.post("/api/sessions/current/stop")
        r = await app.client.get(f"/api/clients/{c['id']}/export")
        assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
        assert f"presshold-client-{c['id']}.zip" in r.headers["content-disposition"]
        z = zipfile.ZipFile(io.BytesIO(r.content))
        assert set(z.namelist()) == {
            "client.json", "sessions.csv", "events.csv", f"samples/{sid}.csv"
        }  # fmt: skip
        record = json.loads(z.read("client.json"))
        assert record["client"]["name"] == c["name"]
        assert [s["id"] for s in record["sessions"]] == [sid]
        assert any(e["kind"] == "mark" for e in record["sessions"][0]["events"])
        sessions = list(csv.DictReader(io.StringIO(z.read("sessions.csv").decode())))
        assert sessions[0]["label"] == "'+shoulder" and sessions[0]["notes"] == "'-x"
        events = list(csv.DictReader(io.StringIO(z.read("events.csv").decode())))
        assert [e["label"] for e in events if e["kind"] == "mark"] == ["'=trap"]
        samples = z.read(f"samples/{sid}.csv").decode().splitlines()
        rows = [line for line in samples if line and not line.startswith("#")]
        assert rows[0].startswith('"t_s","force_n"') and len(rows) == 101
        left = list((tmp_path / "clinic" / "exports").iterdir())
        assert left == []  # the temporary zip is gone once sent


async def test_deleting_a_client_deletes_their_sessions_only(tmp_path: Path) -> None:
    async with running(tmp_path, ("a", "b")) as app:
        bea = await _client(app, name="Bea")
        cy = await _client(app, name="Cy")
        mine = await app.client.post("/api/sessions?station=a", json={"client_id": bea["id"]})
        await _record(app, "a")
        other = await app.client.post("/api/sessions?station=b", json={"client_id": cy["id"]})
        await _record(app, "b")
        busy = await app.client.delete(f"/api/clients/{bea['id']}")
        assert busy.status_code == 409 and "recording" in busy.json()["detail"]
        assert (await app.client.get(f"/api/clients/{bea['id']}")).status_code == 200
        await app.client.post("/api/sessions/current/stop?station=a")
        r = await app.client.delete(f"/api/clients/{bea['id']}")
        assert r.status_code == 200 and r.json()["sessions_deleted"] == 1
        assert (await app.client.get(f"/api/clients/{bea['id']}")).status_code == 404
        assert (await app.client.get(f"/api/sessions/{mine.json()['id']}")).status_code == 404
        assert (await app.client.get("/api/stations/a")).json()["client_id"] is None
        ids = [s["id"] for s in (await app.client.get("/api/sessions")).json()]
        assert other.json()["id"] in ids and mine.json()["id"] not in ids


async def test_personal_data_stay_out_of_logs_and_are_owner_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running(tmp_path) as app:
        c = await _client(app, name="Ophelia Unique", notes="private history")
        await app.client.patch(f"/api/clients/{c['id']}", json={"notes": "more private"})
        await app.client.post("/api/sessions", json={"client_id": c["id"]})
        await _record(app, "fake")
        await app.client.get(f"/api/clients/{c['id']}/export")
        await app.client.delete(f"/api/clients/{c['id']}")
    text = caplog.text
    assert "Ophelia" not in text and "private" not in text
    sqlite = (tmp_path / "sessions.sqlite3").read_bytes()
    assert b"Ophelia" not in sqlite  # sessions carry the pseudonymous id only
    if sys.platform != "win32":
        assert stat.S_IMODE(os.stat(tmp_path / "clinic").st_mode) == 0o700
