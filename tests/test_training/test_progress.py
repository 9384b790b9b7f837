"""A student's progress: by target, seen against hidden, retention across days."""

from __future__ import annotations

from presshold.training.progress import summary


def trial(day: str, target: float, shown: bool, score: float, err: float, fb: str = "full"):
    return {
        "started_at": f"2026-11-{day}T10:00:00Z", "target_n": target, "shown": shown,
        "feedback": fb, "score": score, "passed": score >= 70,
        "protocol_id": "blind-test-20n", "metrics": {"mean_error_n": err},
    }  # fmt: skip


def test_progress_cuts():
    trials = [
        trial("01", 20, True, 90, -0.5),
        trial("01", 20, False, 60, -3.0, "blind"),
        trial("08", 30, False, 80, 1.0, "blind"),
        trial("15", 20, False, 74, -1.0, "blind"),
    ]
    p = summary(trials)
    assert p["overall"]["trials"] == 4 and p["overall"]["passed"] == 3
    by_target = {r["target_n"]: r for r in p["by_target"]}
    assert by_target[20]["trials"] == 3 and by_target[20]["mean_error_n"] == -1.5
    assert by_target[20]["mean_abs_error_n"] == 1.5
    fb = {r["feedback"]: r for r in p["by_feedback"]}
    assert fb["seen"]["mean_score"] == 90 and fb["hidden"]["mean_score"] == 71.33
    assert fb["mode: blind"]["trials"] == 3
    (ret,) = p["retention"]
    assert (ret["first_day"], ret["latest_day"], ret["days_apart"]) == (
        "2026-11-01",
        "2026-11-15",
        14,
    )
    assert ret["first_mean_score"] == 75 and ret["latest_mean_score"] == 74
    assert ret["days_practised"] == 3


def test_no_trials_no_numbers():
    p = summary([])
    assert p["overall"]["mean_score"] is None and p["by_feedback"] == [] and p["retention"] == []
