"""``presshold migrate``: a laptop's SQLite history lands in PostgreSQL, sample for sample, and
running it again (after more sessions were recorded) adds only what is new; its trainer
records, protocols and clients too, never doubled and never over what was edited centrally."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from support.store_checks import record, same_view

from presshold.clinic.clients import ClientCreate, ClientFields
from presshold.server.pg_store import PgSessionStore
from presshold.server.store import SessionStore
from presshold.server.store_factory import make_records
from presshold.training.protocols import ProtocolBody


def run_migrate(data_dir: Path, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "presshold", "migrate", "--from", str(data_dir), "--to", url],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_migrate_copies_everything_once_and_masks_the_password(pg_url: str, tmp_path: Path) -> None:
    laptop = SessionStore(tmp_path / "laptop")
    laptop.open()
    record(laptop, "s1", 40, np.random.default_rng(1))
    record(laptop, "s2", 7, np.random.default_rng(2))
    assert laptop.sync(5)
    secret = pg_url.replace("presshold@", "presshold:hunter2@")

    first = run_migrate(tmp_path / "laptop", secret)
    assert first.returncode == 0, first.stderr
    assert "2 sessions (2 new), 188 samples" in first.stdout
    assert "hunter2" not in first.stdout + first.stderr and ":***@" in first.stdout

    record(laptop, "s3", 5, np.random.default_rng(3))  # recorded after the first migration
    assert laptop.sync(5)
    second = run_migrate(tmp_path / "laptop", pg_url)
    assert second.returncode == 0, second.stderr
    assert "3 sessions (1 new), 208 samples" in second.stdout

    central = PgSessionStore(pg_url, tmp_path / "hub")
    try:
        same_view(laptop, central, "s1")
        for sid in ("s2", "s3"):
            got, want = central.samples(sid), laptop.samples(sid)
            assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
        assert [s["id"] for s in central.list_sessions()] == [
            s["id"] for s in laptop.list_sessions()
        ]
        # the terminal commands read the central store too
        listed = subprocess.run(
            [sys.executable, "-m", "presshold", "sessions", "--store", secret],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert listed.returncode == 0 and listed.stdout.count("Table 1") == 3, listed.stderr
        exported = subprocess.run(
            [sys.executable, "-m", "presshold", "export", "s1", "--store", pg_url],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert exported.returncode == 0, exported.stderr
        rows = [r for r in exported.stdout.splitlines() if r and not r.startswith(("#", '"t_s"'))]
        assert len(rows) == 160
    finally:
        laptop.close()


def test_migrate_errors_are_one_clear_line(tmp_path: Path) -> None:
    missing = run_migrate(tmp_path / "nothing", "postgresql://u:pw@127.0.0.1:1/x")
    assert missing.returncode == 2
    assert "no session store at" in missing.stderr and "Traceback" not in missing.stderr
    (tmp_path / "d").mkdir()
    SessionStore(tmp_path / "d").open()
    down = run_migrate(tmp_path / "d", "postgresql://u:pw@127.0.0.1:1/x")
    assert down.returncode == 2
    assert "cannot reach the database" in down.stderr and "pw" not in down.stderr
    bad = run_migrate(tmp_path / "d", "mysql://u:pw@h/x")
    assert bad.returncode == 2 and "use postgresql://HOST" in bad.stderr


def test_migrate_copies_trainer_records_protocols_and_clients_once(
    pg_url: str, tmp_path: Path
) -> None:
    """The records beside the sessions: copied, then a second run adds nothing; a record
    edited centrally in between is left alone; a protocol whose id another laptop took is
    added under a new id, once; a hub on the database sees it all."""
    laptop = make_records(None, tmp_path / "laptop")
    laptop.trainer.open()
    ada = laptop.trainer.add_student("Ada", "A", None)
    laptop.trainer.save_run(
        {"id": "run-1", "station_id": "t1", "station_name": "Table 1", "student_id": ada["id"],
         "protocol_id": "ladder", "protocol": {"name": "Ladder"}, "session_id": None,
         "started_at": "2026-11-29T10:00:00.000Z", "status": "running"}
    )  # fmt: skip
    for i in range(3):
        laptop.trainer.add_trial(
            {"id": f"tr-{i}", "run_id": "run-1", "student_id": ada["id"], "index": i, "step": 1,
             "rep": i + 1, "target_n": 20.0, "feedback": "full", "shown": True,
             "started_at": f"2026-11-29T10:0{i}:00Z", "passed": True,
             "metrics": {"score": 70.0 + i}, "trace": [[0.0, 19.5]]}
        )  # fmt: skip
    laptop.trainer.add_reference("Expert", "s1", 0.0, 2.0, [[0.0, 1.0], [0.04, 2.0]])
    ladder = {"name": "Ladder", "steps": [{"target_n": 10, "tolerance_pct": 10, "hold_s": 5}]}
    laptop.protocols.create(ProtocolBody.model_validate(ladder))
    (tmp_path / "laptop" / "protocols" / "junk.json").write_text("{nope")
    bea = laptop.clients.create(ClientCreate(name="Bea", notes="left shoulder"))
    laptop.close()
    # another laptop already put a different "ladder" in the database
    central = make_records(pg_url, tmp_path / "hub")
    central.trainer.open()
    other = {**ladder, "steps": [{"target_n": 40, "tolerance_pct": 10, "hold_s": 5}]}
    central.protocols.shelf.put("ladder", json.dumps(other))

    first = run_migrate(tmp_path / "laptop", pg_url)
    assert first.returncode == 0, first.stderr
    assert "0 sessions (0 new)" in first.stdout
    assert (
        "1 students (1 new), 1 runs (1 new), 3 trials (3 new), 1 references (1 new),"
        " 1 protocols (1 new), 1 clients (1 new)"
    ) in first.stdout
    assert "1 protocol(s) added under a new id" in first.stdout
    assert "1 protocol file(s) skipped: not valid" in first.stdout

    central.trainer.update_student(ada["id"], {"notes": "edited at the school"})
    central.clients.update(bea.id, ClientFields(notes="edited at the school"))
    second = run_migrate(tmp_path / "laptop", pg_url)
    assert second.returncode == 0, second.stderr
    assert (
        "1 students (0 new), 1 runs (0 new), 3 trials (0 new), 1 references (0 new),"
        " 1 protocols (0 new), 1 clients (0 new)"
    ) in second.stdout

    assert [s["notes"] for s in central.trainer.students()] == ["edited at the school"]
    assert central.clients.get(bea.id).notes == "edited at the school"  # left alone
    run = central.trainer.run("run-1")
    assert run["status"] == "interrupted"  # no hub runs it here
    trials = central.trainer.trials(student_id=ada["id"], with_trace=True)
    assert [t["score"] for t in trials] == [70.0, 71.0, 72.0] and trials[0]["trace"] == [[0, 19.5]]
    assert [r["name"] for r in central.trainer.references()] == ["Expert"]
    custom = {p.id: p.steps[0].target_n for p in central.protocols.all() if not p.builtin}
    assert custom == {"ladder": 40, "ladder-2": 10}
    central.close()
