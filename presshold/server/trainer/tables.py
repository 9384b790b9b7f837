"""Trial tables: the columns of ``trials.csv`` and of the reports' score tables."""

from __future__ import annotations

from typing import Any

from presshold.traceio.csv_safe import csv_row, header_row
from presshold.training.scoring import METRIC_FIELDS

TRIAL_COLUMNS = (
    "trial_id", "run_id", "student_id", "student", "started_at", "protocol_id", "step", "rep",
    "target_n", "feedback", "shown", "end_reason", "session_id", "from_s", "to_s", "score",
    "passed",
)  # fmt: skip
CSV_METRICS = tuple(f for f in METRIC_FIELDS if f != "score")


def trials_csv(trials: list[dict[str, Any]], names: dict[str, str]) -> str:
    """One row per trial: identity, every metric, the score (docs/trainer.md)."""
    rows = []
    for t in trials:
        m = t["metrics"]
        rows.append(
            [
                t["id"], t["run_id"], t.get("student_id"), names.get(t.get("student_id") or ""),
                t["started_at"], t.get("protocol_id"), t["step"], t["rep"], t["target_n"],
                t["feedback"], t["shown"], t.get("end_reason"), t.get("session_id"),
                t.get("from_s"), t.get("to_s"), t["score"], t["passed"],
            ]
            + [m.get(k) for k in CSV_METRICS]
        )  # fmt: skip
    return header_row(TRIAL_COLUMNS + CSV_METRICS) + "".join(csv_row(r) for r in rows)
