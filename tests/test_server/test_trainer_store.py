"""Trainer storage and exports at the edge: formula-safe CSV; the repository and the protocol
library on both engines (SQLite/files and a real PostgreSQL); owner-only file, an old file
upgraded, protocol files that no longer validate skipped, references cut from a recorded
session and used for scoring."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from support.inprocess import running

from presshold.errors import Conflict, NotFound
from presshold.server.store_factory import make_records
from presshold.server.trainer.library import FileShelf, ProtocolLibrary
from presshold.server.trainer.repository import SQLITE_SCHEMA, TrainerRepository
from presshold.server.trainer.tables import trials_csv
from presshold.training.protocols import ProtocolBody


def test_trials_csv_goes_through_the_safe_writer():
    """A student's name or an id never runs as a formula (the one writer, traceio.csv_safe)."""
    trial = {
        "id": "t1", "run_id": "+SUM(A1)", "student_id": "s1", "started_at": "2026-11-29",
        "protocol_id": "p", "step": 1, "rep": 1, "target_n": 20.0, "feedback": "full",
        "shown": True, "score": 71.5, "passed": True, "metrics": {"mean_error_n": -1.5},
    }  # fmt: skip
    text = trials_csv([trial], {"s1": "=HYPERLINK(1)"})
    rows = list(csv.reader(io.StringIO(text)))
    header, row = rows[0], rows[1]
    assert row[header.index("student")] == "'=HYPERLINK(1)"
    assert row[header.index("run_id")] == "'+SUM(A1)"
    assert row[header.index("mean_error_n")] == "-1.5"  # numbers stay numbers


def _trial(sid: str, i: int, run_id: str = "r") -> dict[str, Any]:
    return {
        "id": f"{sid}-{i}", "run_id": run_id, "student_id": sid, "index": i, "step": 1,
        "rep": i + 1, "target_n": 20.0, "feedback": "full", "shown": True,
        "started_at": f"2026-11-2{i}T10:00:00Z", "passed": True,
        "metrics": {"score": 80.0 + i, "mean_error_n": 0.5}, "trace": [[0.0, 1.5], [0.04, 2.25]],
    }  # fmt: skip


def _run(rid: str, student_id: str | None, status: str = "running") -> dict[str, Any]:
    return {
        "id": rid, "station_id": "table-1", "station_name": "Table 1", "student_id": student_id,
        "protocol_id": "p", "protocol": {"name": "P", "steps": []}, "session_id": "s1",
        "started_at": "2026-11-29T10:00:00.000Z", "ended_at": None, "status": status,
        "result": None,
    }  # fmt: skip


def test_repository_contract(records_url: str | None, tmp_path: Path):
    """Students, runs, trials and references on either engine: the same answers, a student's
    trials deleted with them, runs upserted, a restart interrupts the runs left running."""
    records = make_records(records_url, tmp_path)
    repo = records.trainer
    repo.open()
    try:
        a = repo.add_student("ada", "A", None)
        b = repo.add_student("Ben", None, "left-handed")
        repo.add_student("Émile", None, None)
        for sid, n in ((a["id"], 3), (b["id"], 1)):
            for i in range(n):
                repo.add_trial(_trial(sid, i))
        repo.add_trial(_trial(b["id"], 0))  # a trial written again replaces itself
        listed = repo.students()
        assert [s["name"] for s in listed] == ["ada", "Ben", "Émile"]  # case-insensitively
        by_name = {s["name"]: s for s in listed}
        assert by_name["ada"]["trials"] == 3 and by_name["ada"]["latest_score"] == 82.0
        assert by_name["ada"]["latest_at"] == "2026-11-22T10:00:00Z"
        assert by_name["Ben"]["trials"] == 1 and by_name["Émile"]["latest_score"] is None
        assert repo.update_student(b["id"], {"group": "B", "id": "x"})["group"] == "B"
        with pytest.raises(NotFound):
            repo.update_student("st-nope", {"name": "x"})
        got = repo.trials(student_id=a["id"], with_trace=True)
        assert [t["index"] for t in got] == [0, 1, 2]
        assert got[0]["trace"] == [[0.0, 1.5], [0.04, 2.25]] and got[0]["shown"] is True
        assert got[0]["metrics"] == {"score": 80.0, "mean_error_n": 0.5}
        assert "trace" not in repo.trials(run_id="r")[0]

        repo.save_run(_run("run-1", a["id"]))
        repo.save_run({**_run("run-1", a["id"], "completed"), "result": {"passed": True}})
        repo.save_run(_run("run-2", b["id"]))  # left running: the server "stops" here
        assert repo.run("run-1")["status"] == "completed"
        assert repo.run("run-1")["result"] == {"passed": True}
        assert [r["id"] for r in repo.runs_of(a["id"])] == ["run-1"]
        with pytest.raises(NotFound):
            repo.run("run-nope")

        ref = repo.add_reference("Expert", "s1", 0.0, 8.0, [[0.0, 1.0], [0.04, 2.0]])
        assert repo.reference(ref["id"])["trace"] == [[0.0, 1.0], [0.04, 2.0]]
        assert repo.references() == [{k: v for k, v in ref.items() if k != "trace"}]

        assert repo.delete_student(a["id"]) == 3
        assert repo.trials(student_id=a["id"]) == []
        assert repo.runs_of(a["id"]) == []
        assert len(repo.trials(student_id=b["id"])) == 1
        repo.delete_reference(ref["id"])
        with pytest.raises(NotFound):
            repo.delete_reference(ref["id"])
    finally:
        records.close()
    again = make_records(records_url, tmp_path)  # the next start, on the same records
    again.trainer.open()
    try:
        assert again.trainer.run("run-2")["status"] == "interrupted"
        assert [s["name"] for s in again.trainer.students()] == ["Ben", "Émile"]
    finally:
        again.close()


def test_protocol_library_contract(records_url: str | None, tmp_path: Path):
    """Custom protocols on either shelf: created with a free id, replaced, deleted; the
    built-ins read-only; a second server on the same records sees them."""
    records = make_records(records_url, tmp_path)
    records.trainer.open()
    lib = records.protocols
    body = ProtocolBody.model_validate(
        {"name": "Blind test 20N", "steps": [{"target_n": 20, "tolerance_pct": 10, "hold_s": 5}]}
    )
    try:
        first = lib.create(body)
        second = lib.create(body)
        assert (first.id, second.id) == ("blind-test-20n-2", "blind-test-20n-3")  # a built-in's
        lib.replace(first.id, body.model_copy(update={"name": "Renamed"}))
        with pytest.raises(Conflict):
            lib.replace("blind-test-20n", body)
        with pytest.raises(NotFound):
            lib.delete("nope")
        lib.delete(second.id)
        other = make_records(records_url, tmp_path)
        try:
            custom = [p for p in other.protocols.all() if not p.builtin]
            assert [(p.id, p.name) for p in custom] == [(first.id, "Renamed")]
            assert other.protocols.get(first.id).steps[0].target_n == 20
        finally:
            other.close()
    finally:
        records.close()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_trainer_file_is_owner_only(tmp_path: Path):
    repo = TrainerRepository.in_data_dir(tmp_path)
    repo.open()
    repo.close()
    assert (os.stat(tmp_path / "trainer.sqlite3").st_mode & 0o777) == 0o600


def test_a_trainer_file_from_before_the_hub_column_still_opens(tmp_path: Path):
    """Files made by earlier versions get the ``hub`` column on open; their runs left running
    are interrupted as before."""
    old = sqlite3.connect(tmp_path / "trainer.sqlite3")
    old.executescript(SQLITE_SCHEMA.replace(", hub TEXT", ""))
    old.execute(
        "INSERT INTO runs VALUES ('r1', 'x', 'X', NULL, 'p', '{}', NULL, 't', NULL, 'running',"
        " NULL)"
    )
    old.commit()
    old.close()
    repo = TrainerRepository.in_data_dir(tmp_path)
    repo.open()
    try:
        assert repo.run("r1")["status"] == "interrupted"
    finally:
        repo.close()


def test_a_protocol_file_that_no_longer_validates_is_skipped(tmp_path: Path):
    shelf = FileShelf(tmp_path)
    shelf.dir.mkdir()
    (shelf.dir / "broken.json").write_text(json.dumps({"name": "x", "steps": [{"target_n": -1}]}))
    (shelf.dir / "garbage.json").write_text("{nope")
    assert [p.builtin for p in ProtocolLibrary(shelf).all()] == [True] * 4


@pytest.mark.anyio
async def test_a_reference_is_cut_from_a_session_and_scores_against_it(tmp_path: Path):
    async with running(tmp_path) as app:
        c = app.client
        fake = app.fakes["fake"]
        sid = (await c.post("/api/sessions", json={"label": "expert"})).json()["id"]
        t0 = __import__("time").monotonic()
        t = t0 + np.arange(0, 8, 0.01)
        f = np.interp(t - t0, [0, 1, 2, 6, 7, 8], [0, 0, 30, 30, 0, 0])
        fake.push(f, t)
        await app.settle(lambda: app.stations.get().recorder.session is not None)
        await c.post("/api/sessions/current/stop")
        r = await c.post(
            "/api/references", json={"session_id": sid, "from_s": 0, "to_s": 8, "name": "Expert"}
        )
        assert r.status_code == 201, r.text
        ref = (await c.get(f"/api/references/{r.json()['id']}")).json()
        pts = np.asarray(ref["trace"])
        assert 150 < len(pts) < 250  # 25 Hz
        assert pts[:, 1].max() == pytest.approx(30, abs=1.0)
        bad = await c.post(
            "/api/references", json={"session_id": sid, "from_s": 5, "to_s": 2, "name": "x"}
        )
        assert bad.status_code == 422 and "to_s must be after from_s" in bad.json()["detail"]
        missing = await c.post(
            "/api/references", json={"session_id": "nope", "from_s": 0, "to_s": 2, "name": "x"}
        )
        assert missing.status_code == 404
        shape = await app.app.state.presshold.trainer.reference_shape(r.json()["id"])
        assert shape.press_start(30, 3, 4) == pytest.approx(1.6, abs=0.15)  # 18 N (filter lag)
