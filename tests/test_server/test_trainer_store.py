"""Trainer storage and exports at the edge: formula-safe CSV, owner-only file, a student's
trials deleted with them, protocol files that no longer validate skipped, references cut from a
recorded session and used for scoring."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from support.inprocess import running

from presshold.server.trainer.library import ProtocolLibrary
from presshold.server.trainer.repository import TrainerRepository
from presshold.server.trainer.tables import trials_csv


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


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_repository_is_owner_only_and_deletes_a_students_trials(tmp_path: Path):
    repo = TrainerRepository(tmp_path)
    repo.open()
    try:
        assert (os.stat(repo.path).st_mode & 0o777) == 0o600
        a = repo.add_student("Ada", None, None)
        b = repo.add_student("Ben", None, None)
        for sid, n in ((a["id"], 3), (b["id"], 1)):
            for i in range(n):
                repo.add_trial(
                    {"id": f"{sid}-{i}", "run_id": "r", "student_id": sid, "index": i,
                     "step": 1, "rep": i + 1, "target_n": 20.0, "feedback": "full",
                     "shown": True, "started_at": f"2026-11-2{i}T10:00:00Z", "passed": True,
                     "metrics": {"score": 80.0 + i, "mean_error_n": 0.5}}
                )  # fmt: skip
        listed = {s["name"]: s for s in repo.students()}
        assert listed["Ada"]["trials"] == 3 and listed["Ada"]["latest_score"] == 82.0
        assert repo.delete_student(a["id"]) == 3
        assert repo.trials(student_id=a["id"]) == []
        assert len(repo.trials(student_id=b["id"])) == 1
    finally:
        repo.close()


def test_a_protocol_file_that_no_longer_validates_is_skipped(tmp_path: Path):
    lib = ProtocolLibrary(tmp_path)
    lib.dir.mkdir()
    (lib.dir / "broken.json").write_text(json.dumps({"name": "x", "steps": [{"target_n": -1}]}))
    (lib.dir / "garbage.json").write_text("{nope")
    assert [p.builtin for p in lib.all()] == [True] * 4


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
