"""A client's progress across visits and one visit's summary, from session details."""

from __future__ import annotations

import pytest

from presshold.clinic.progress import progress, site_key, visit_summary


def _hold(start: float, dur: float, mean: float, completed: bool = True) -> dict:
    return {"start_s": start, "end_s": start + dur, "duration_s": dur, "completed": completed,
            "mean_n": mean, "cv": 0.03, "peak_n": mean + 1}  # fmt: skip


def _visit(sid: str, day: int, ppt_before: float, ppt_after: float, held: float, pain: int):
    ev = [
        {"t_s": 1.0, "kind": "ppt", "site": "upper trapezius", "side": "L", "value_n": ppt_before},
        {"t_s": 5.0, "kind": "mark", "label": "upper trapezius", "side": "L"},
        {"t_s": 20.0, "kind": "discomfort", "level": pain, "site": "upper trapezius L",
         "side": None},
        {"t_s": 30.0, "kind": "mark", "label": "SCM", "side": None},
        {"t_s": 70.0, "kind": "ppt", "site": "upper trapezius", "side": "L", "value_n": ppt_after},
        {"t_s": 71.0, "kind": "patient_signal", "source": "button"},
    ]  # fmt: skip
    holds = [_hold(6.0, 20.0, held), _hold(31.0, 10.0, 12.0, completed=False)]
    return {
        "id": sid,
        "started_at": f"2026-11-{day:02d}T09:00:00Z",
        "duration_s": 80.0,
        "label": None,
        "notes": "left shoulder",
        "events": ev,
        "analysis": {"holds": holds},
    }


def test_site_keys_join_sites_and_sides() -> None:
    assert site_key("upper trapezius", "L") == "upper trapezius L"
    assert site_key("upper trapezius L", "L") == "upper trapezius L"
    assert site_key("SCM", None) == "SCM"
    assert site_key(None, "L") == "(no point labelled)"


def test_a_visit_summary_has_sites_holds_thresholds_before_after_and_discomfort() -> None:
    v = visit_summary(_visit("a", 1, 20.0, 26.0, 25.0, 6))
    trap, scm = v["sites"]
    assert trap["site"] == "upper trapezius L" and scm["site"] == "SCM"
    assert (trap["threshold_before_n"], trap["threshold_after_n"]) == (20.0, 26.0)
    assert trap["pressure_held_n"] == 25.0 and trap["time_held_s"] == 20.0
    assert trap["discomfort_max"] == 6 and trap["discomfort_mean"] == 6.0
    assert scm["threshold_before_n"] is None and scm["holds"][0]["completed"] is False
    assert (v["holds"], v["holds_completed"], v["patient_signals"]) == (2, 1, 1)
    assert v["notes"] == "left shoulder"


def test_progress_series_per_site_across_visits() -> None:
    p = progress([_visit("a", 1, 20.0, 26.0, 25.0, 6), _visit("b", 8, 24.0, 29.0, 27.0, 3)])
    assert [v["session_id"] for v in p["visits"]] == ["a", "b"]
    trap = next(s for s in p["sites"] if s["site"] == "upper trapezius L")
    assert [x["threshold_n"] for x in trap["visits"]] == [20.0, 24.0]  # before treatment
    assert [x["pressure_held_n"] for x in trap["visits"]] == [25.0, 27.0]
    assert [x["discomfort_mean"] for x in trap["visits"]] == [6.0, 3.0]
    assert p["latest"]["session_id"] == "b"
    assert [h["site"] for h in p["latest_holds"]] == ["upper trapezius L", "SCM"]
    assert p["latest_holds"][0]["mean_n"] == pytest.approx(27.0)
    assert progress([]) == {"visits": [], "sites": [], "latest": None, "latest_holds": []}
