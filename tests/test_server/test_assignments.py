"""Who is at each station survives a restart: the student (trainer mode) and the client (the
practice), kept in ``stations.json`` and restored when the station is created again, unless they
were unassigned or deleted meanwhile. In process on fake sources, restarting the real app on the
same data directory; one real ``presshold serve`` restart at the end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from support.fake_source import FakeSource
from support.inprocess import InProcess, running
from support.server import ServerProcess
from support.services import Postgres

from presshold.firmware_bridge.sources import SourceSpec

pytestmark = pytest.mark.anyio

QUICK = {
    "name": "Quick 20 N × 1",
    "steps": [{"target_n": 20, "tolerance_pct": 15, "hold_s": 1.0, "rest_s": 5, "reps": 1}],
}


async def _post(app: InProcess, path: str, **body: object) -> dict[str, Any]:
    r = await app.client.post(path, json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _patch(app: InProcess, station: str, **body: object) -> dict[str, Any]:
    r = await app.client.patch(f"/api/stations/{station}", json=body)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def _stations(app: InProcess) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in (await app.client.get("/api/stations")).json()}


def _book(data_dir: Path) -> dict[str, dict[str, Any]]:
    return dict(json.loads((data_dir / "stations.json").read_text())["stations"])


async def test_students_come_back_after_a_restart_without_a_run(tmp_path: Path) -> None:
    async with running(tmp_path, ("a", "b", "c")) as app:
        ada = await _post(app, "/api/students", name="Ada")
        bo = await _post(app, "/api/students", name="Bo")
        assert (await _patch(app, "a", student_id=ada["id"]))["student_id"] == ada["id"]
        await _patch(app, "b", student_id=bo["id"])
        await _patch(app, "c", student_id=bo["id"])
        await _patch(app, "c", student_id=None)  # unassigned: not remembered
    assert _book(tmp_path)["a"]["student_id"] == ada["id"]
    assert "student_id" not in _book(tmp_path)["c"]

    async with running(tmp_path, ("a", "b", "c")) as app:  # the trainer's laptop restarted
        listed = await _stations(app)
        assert [listed[s]["student_id"] for s in "abc"] == [ada["id"], bo["id"], None]
        tiles = {t["id"]: t["trainer"] for t in app.stations.overview_message()["stations"]}
        assert tiles["a"] == {"student": {"id": ada["id"], "name": "Ada"}, "run": None}
        assert tiles["b"]["student"]["name"] == "Bo" and tiles["c"] is None
        assert not any(s["recording"] for s in listed.values())  # no run, so no session
        assert app.stations.get("a").trainer is not None
        assert not app.stations.get("a").trainer.running
        # the restored student is the run's default, as an assigned one is
        pid = (await _post(app, "/api/protocols", **QUICK))["id"]
        run = await _post(app, "/api/stations/a/run", protocol_id=pid)
        assert run["student_id"] == ada["id"] and run["student_name"] == "Ada"
        assert (await app.client.post("/api/stations/a/run/stop")).status_code == 200


async def test_a_run_for_a_named_student_assigns_them_for_good(tmp_path: Path) -> None:
    async with running(tmp_path) as app:
        cy = await _post(app, "/api/students", name="Cy")
        pid = (await _post(app, "/api/protocols", **QUICK))["id"]
        await _post(app, "/api/stations/fake/run", protocol_id=pid, student_id=cy["id"])
        assert (await app.client.post("/api/stations/fake/run/stop")).status_code == 200
    async with running(tmp_path) as app:
        assert (await _stations(app))["fake"]["student_id"] == cy["id"]
        assert app.stations.get("fake").trainer.run is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("route", "field"), [("/api/students", "student_id"), ("/api/clients", "client_id")]
)
async def test_a_deleted_student_or_client_is_not_restored(
    tmp_path: Path, route: str, field: str
) -> None:
    """Deleted while assigned, one of them at a station whose sensor is away that day: gone from
    every station's saved entry, and nobody comes back."""
    async with running(tmp_path, ("a", "b")) as app:
        ada = await _post(app, route, name="Ada")
        bo = await _post(app, route, name="Bo")
        await _patch(app, "a", **{field: ada["id"]})
        await _patch(app, "b", **{field: bo["id"]})
    async with running(tmp_path, ("a",)) as app:  # station b's sensor is not plugged in today
        for person in (ada, bo):
            assert (await app.client.delete(f"{route}/{person['id']}")).status_code == 200
        assert (await _stations(app))["a"][field] is None
    assert not any(field in entry for entry in _book(tmp_path).values())
    async with running(tmp_path, ("a", "b")) as app:
        assert [s[field] for s in (await _stations(app)).values()] == [None, None]


async def test_a_saved_student_gone_from_the_records_is_dropped(tmp_path: Path) -> None:
    """Deleted behind this server's back (another hub on the same database, an old book): the
    check at restore time drops it from the book, and the other station keeps its student."""
    async with running(tmp_path, ("a", "b")) as app:
        ada = await _post(app, "/api/students", name="Ada")
        await _patch(app, "a", student_id=ada["id"])
        await _patch(app, "b", student_id=ada["id"])
    book = json.loads((tmp_path / "stations.json").read_text())
    book["stations"]["b"]["student_id"] = "stu-gone"
    (tmp_path / "stations.json").write_text(json.dumps(book))
    async with running(tmp_path, ("a", "b")) as app:
        listed = await _stations(app)
        assert listed["a"]["student_id"] == ada["id"] and listed["b"]["student_id"] is None
    assert "student_id" not in _book(tmp_path)["b"]


async def test_a_station_plugged_in_later_gets_its_student_back(tmp_path: Path) -> None:
    async with running(tmp_path, ("a", "b")) as app:
        ada = await _post(app, "/api/students", name="Ada")
        await _patch(app, "b", student_id=ada["id"])
    async with running(tmp_path, ("a",)) as app:
        assert (await _stations(app))["a"]["student_id"] is None
        app.stations.add(SourceSpec("b", "b"), FakeSource("b"))  # as --source auto would
        await app.settle(lambda: app.stations.get("b").describe()["student_id"] == ada["id"])


async def test_the_client_on_the_table_survives_a_restart_and_claims_nothing(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, ("a", "b")) as app:
        bea = await _post(app, "/api/clients", name="Bea", presets={"target_n": 12})
        cy = await _post(app, "/api/clients", name="Cy")
        await _patch(app, "a", client_id=bea["id"])
        r = await app.client.put("/api/settings?station=a", json={"target_n": 18})
        assert r.status_code == 200  # the therapist changed the target after choosing Bea
        await _patch(app, "b", client_id=cy["id"])
        await _patch(app, "b", client_id=None)  # the table is free: not remembered
        before = (await app.client.get("/api/sessions")).json()

    async with running(tmp_path, ("a", "b")) as app:  # the server restarted mid-visit
        listed = await _stations(app)
        assert listed["a"]["client_id"] == bea["id"] and listed["b"]["client_id"] is None
        assert listed["a"]["settings"]["target_n"] == 18  # presets are not applied again
        assert not listed["a"]["recording"]
        assert app.stations.get("a").status_message()["client_id"] == bea["id"]
        assert (await app.client.get("/api/sessions")).json() == before  # nothing claimed
        app.fakes["a"].push(np.full(50, 18.0))  # the next press records for Bea
        station = app.stations.get("a")
        await app.settle(lambda: station.recorder.session is not None)
        assert station.recorder.session["client_id"] == bea["id"]  # type: ignore[index]


async def test_a_saved_client_gone_from_the_book_is_dropped(tmp_path: Path) -> None:
    async with running(tmp_path) as app:
        await _post(app, "/api/clients", name="Bea")
    book = json.loads((tmp_path / "stations.json").read_text())
    book["stations"]["fake"]["client_id"] = "gone"
    (tmp_path / "stations.json").write_text(json.dumps(book))
    async with running(tmp_path) as app:
        assert (await _stations(app))["fake"]["client_id"] is None
    assert "client_id" not in _book(tmp_path)["fake"]


async def test_a_book_that_cannot_be_written_answers_507_and_keeps_the_choice_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(tmp_path) as app:
        ada = await _post(app, "/api/students", name="Ada")
        bea = await _post(app, "/api/clients", name="Bea")

        def full_disk(self: object) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr("presshold.server.station_book.StationBook.save", full_disk)
        r = await app.client.patch("/api/stations/fake", json={"student_id": ada["id"]})
        assert r.status_code == 507 and "student assigned but not saved" in r.json()["detail"]
        r = await app.client.patch("/api/stations/fake", json={"client_id": bea["id"]})
        assert r.status_code == 507 and "client chosen but not saved" in r.json()["detail"]
        station = (await _stations(app))["fake"]
        assert (station["student_id"], station["client_id"]) == (ada["id"], bea["id"])
        # a deletion is not refused for it: the next start checks the saved ids anyway
        assert (await app.client.delete(f"/api/students/{ada['id']}")).status_code == 200
        assert (await app.client.delete(f"/api/clients/{bea['id']}")).status_code == 200


async def test_with_postgresql_the_book_stays_local_and_an_outage_defers_the_restore(
    postgres_server: Postgres, tmp_path: Path
) -> None:
    """``--store postgresql://…``: students and clients are in the database, who is at which
    station in this machine's ``stations.json``. A database down at the start shows nobody but
    keeps the saved ids; the next start with it back restores them."""
    url = postgres_server.create_database()
    async with running(tmp_path, store=url) as app:
        ada = await _post(app, "/api/students", name="Ada")
        bea = await _post(app, "/api/clients", name="Bea")
        await _patch(app, "fake", student_id=ada["id"], client_id=bea["id"])
    saved = {k: _book(tmp_path)["fake"][k] for k in ("student_id", "client_id")}
    assert saved == {"student_id": ada["id"], "client_id": bea["id"]}
    postgres_server.stop("fast")
    try:
        async with running(tmp_path, store=url) as app:
            station = (await _stations(app))["fake"]
            assert (station["student_id"], station["client_id"]) == (None, None)
    finally:
        postgres_server.start()
    assert {k: _book(tmp_path)["fake"][k] for k in saved} == saved
    async with running(tmp_path, store=url) as app:
        station = (await _stations(app))["fake"]
        assert (station["student_id"], station["client_id"]) == (ada["id"], bea["id"])


def test_a_real_server_restart_keeps_student_and_client(tmp_path: Path) -> None:
    """``presshold serve`` stopped with Ctrl-C and started again on the same data dir."""
    data = tmp_path / "data"
    with ServerProcess(data) as srv, httpx.Client(base_url=srv.url, timeout=10) as api:
        student = api.post("/api/students", json={"name": "Ada"}).json()["id"]
        client = api.post("/api/clients", json={"name": "Bea"}).json()["id"]
        r = api.patch("/api/stations/sim", json={"student_id": student, "client_id": client})
        assert r.status_code == 200, r.text
    with ServerProcess(data) as srv, httpx.Client(base_url=srv.url, timeout=10) as api:
        station = api.get("/api/stations/sim").json()
        assert (station["student_id"], station["client_id"]) == (student, client)
