"""Trainer records, protocols and clients in PostgreSQL with ``--store postgresql://…``: the
real app writes them to the database (nothing to the data dir), a second hub on the same
database sees them, one call is one transaction, and a PostgreSQL restart mid-use answers a
clear 503 (no password in it) while the live view and recording go on — then works again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import numpy as np
import pytest
from support.inprocess import InProcess, running
from support.presser import student_presses
from support.services import Postgres

from presshold.errors import StorageError
from presshold.server.pg_db import PgDb

pytestmark = pytest.mark.anyio

ONE_TRIAL = {
    "name": "One press 20 N",
    "steps": [{"target_n": 20, "tolerance_pct": 15, "hold_s": 1.0, "rest_s": 0.3, "reps": 1}],
}


async def _run_one_trial(
    app: InProcess, protocol_id: str, started: Callable[[], Awaitable[object]] | None = None
) -> str:
    stop = asyncio.Event()
    presser = asyncio.create_task(student_presses(app, "fake", stop))
    try:
        r = await app.client.post("/api/stations/fake/run", json={"protocol_id": protocol_id})
        assert r.status_code == 201, r.text
        run_id = str(r.json()["id"])
        if started is not None:
            await started()
        async with asyncio.timeout(15):
            while (await app.client.get(f"/api/runs/{run_id}")).json()["status"] == "running":
                await asyncio.sleep(0.1)
    finally:
        stop.set()
        await presser
    return run_id


async def test_a_second_hub_on_the_database_sees_students_protocols_clients_and_trials(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("presshold.server.trainer.service.LEAD_IN_S", 0.2)
    async with running(tmp_path / "a", store=pg_url) as app:
        c = app.client
        sid = (await c.post("/api/students", json={"name": "Ada", "group": "A"})).json()["id"]
        pid = (await c.post("/api/protocols", json=ONE_TRIAL)).json()["id"]
        client = (await c.post("/api/clients", json={"name": "Bea", "notes": "neck"})).json()
        r = await c.patch("/api/stations/fake", json={"student_id": sid})
        assert r.status_code == 200, r.text
        run_id = await _run_one_trial(app, pid)
        run = (await c.get(f"/api/runs/{run_id}")).json()
        assert run["status"] == "completed" and len(run["trials"]) == 1
    for local in ("trainer.sqlite3", "protocols", "clinic/clients.json"):
        assert not (tmp_path / "a" / local).exists(), f"{local} written to the data dir"

    async with running(tmp_path / "b", store=pg_url) as other:
        c = other.client
        students = (await c.get("/api/students")).json()
        assert [(s["name"], s["trials"]) for s in students] == [("Ada", 1)]
        assert students[0]["latest_score"] == run["trials"][0]["score"]
        assert pid in [p["id"] for p in (await c.get("/api/protocols")).json()]
        assert (await c.get(f"/api/protocols/{pid}")).json()["steps"][0]["target_n"] == 20
        assert [(x["id"], x["notes"]) for x in (await c.get("/api/clients")).json()] == [
            (client["id"], "neck")
        ]
        again = (await c.get(f"/api/runs/{run_id}")).json()
        assert again["status"] == "completed"
        assert [(t["id"], t["score"], t["metrics"]) for t in again["trials"]] == [
            (t["id"], t["score"], t["metrics"]) for t in run["trials"]
        ]
        doc = (await c.get(f"/api/students/{sid}")).json()
        assert [t["id"] for t in doc["trials"]] == [t["id"] for t in run["trials"]]
        r = await c.patch(f"/api/clients/{client['id']}", json={"notes": "neck, better"})
        assert r.status_code == 200


def test_each_call_is_one_transaction(pg_url: str) -> None:
    """A call that fails half-way (a bad statement, or an error of ours) leaves nothing; the
    connection serves the next call."""
    db = PgDb(pg_url)
    db.open()
    try:
        with pytest.raises(StorageError, match="division by zero"), db.tx() as c:
            c.execute("INSERT INTO protocols (id, body) VALUES (?, ?)", ("a", "{}"))
            c.execute("SELECT 1 / 0")
        with pytest.raises(KeyError), db.tx() as c:
            c.execute("INSERT INTO protocols (id, body) VALUES (?, ?)", ("b", "{}"))
            raise KeyError("ours")
        with db.tx() as c:
            assert c.execute("SELECT COUNT(*) AS n FROM protocols").fetchone()["n"] == 0
    finally:
        db.close()


async def test_postgres_restart_answers_503_then_recovers(
    postgres_server: Postgres, tmp_path: Path
) -> None:
    url = postgres_server.create_database().replace("presshold@", "presshold:hunter2@")
    async with running(tmp_path, store=url) as app:
        c = app.client
        assert (await c.post("/api/students", json={"name": "Ada"})).status_code == 201
        postgres_server.stop("fast")
        try:
            for method, path, body in (
                ("GET", "/api/students", None),
                ("POST", "/api/students", {"name": "Ben"}),
                ("GET", "/api/protocols", None),
                ("POST", "/api/clients", {"name": "Bea"}),
                ("GET", "/api/clients", None),
            ):
                r = await c.request(method, path, json=body)
                assert r.status_code == 503, (path, r.text)
                detail = r.json()["detail"]
                assert "records database postgresql://presshold:***@127.0.0.1" in detail, detail
                assert "hunter2" not in detail
            # the live path never noticed: readings still become a recorded session
            fake, station = app.fakes["fake"], app.stations.get("fake")
            t = time.monotonic() + np.arange(0, 1, 0.01)
            fake.push(np.full(t.size, 12.0), t)
            await app.settle(lambda: station.recorder.session is not None)
            assert (await c.get("/api/health")).status_code == 200
        finally:
            postgres_server.start()
        # the first call after the restart reconnects (its old connection is dead)
        students = await c.get("/api/students")
        assert students.status_code == 200, students.text
        assert [s["name"] for s in students.json()] == ["Ada"]  # Ben was never half-written
        assert (await c.post("/api/clients", json={"name": "Bea"})).status_code == 201
        assert [x["name"] for x in (await c.get("/api/clients")).json()] == ["Bea"]
        # restarted between two calls: the held connection is found dead as the next call
        # begins, before anything of it ran, and replaced — no 503 at all
        postgres_server.stop("fast")
        postgres_server.start()
        r = await c.patch(f"/api/students/{students.json()[0]['id']}", json={"group": "B"})
        assert r.status_code == 200 and r.json()["group"] == "B", r.text


async def test_trials_of_a_run_held_during_an_outage_are_written_when_it_ends(
    postgres_server: Postgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run goes on with the database away (the student sees the cues and the result); its
    trials are kept and written, in order, at the first call after the database is back."""
    monkeypatch.setattr("presshold.server.trainer.service.LEAD_IN_S", 0.2)
    two = {**ONE_TRIAL, "steps": [{**ONE_TRIAL["steps"][0], "reps": 2}]}  # type: ignore[index]
    async with running(tmp_path, store=postgres_server.create_database()) as app:
        c = app.client
        sid = (await c.post("/api/students", json={"name": "Ada"})).json()["id"]
        pid = (await c.post("/api/protocols", json=two)).json()["id"]
        assert (await c.patch("/api/stations/fake", json={"student_id": sid})).status_code == 200
        try:
            run_id = await _run_one_trial(
                app, pid, lambda: asyncio.to_thread(postgres_server.stop, "fast")
            )
            # the run's own view comes from memory
            assert (await c.get(f"/api/runs/{run_id}")).json()["status"] == "completed"
            assert (await c.get(f"/api/students/{sid}")).status_code == 503
        finally:
            postgres_server.start()
        await asyncio.sleep(1.1)  # past the writer's one-a-second retry pace
        doc = (await c.get(f"/api/students/{sid}")).json()
        assert [t["rep"] for t in doc["trials"]] == [1, 2]
        assert [r["status"] for r in doc["runs"]] == ["completed"]
