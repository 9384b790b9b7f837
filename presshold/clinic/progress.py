"""A client's progress across visits, and one visit's summary, from their sessions.

Input: session details as ``GET /api/sessions/{id}`` gives them (metadata, events, analysis).
Each hold belongs to the point labelled when it began (else one labelled while it ran), as on
the session page; thresholds and discomfort carry their own site. Sites are compared by a key
"site side" ("upper trapezius L"), so a point labelled "upper trapezius" with side L and a
threshold at site "upper trapezius", side L are the same site.

Within one visit, thresholds taken before the first hold at a site are "before" and those after
its last hold "after" treatment: the change a single visit made.

Pure (no I/O): the routes feed it sessions and serialise what it returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from statistics import fmean
from typing import Any

VISIT_FIELDS = (
    "session_id", "started_at", "duration_s", "label", "holds", "holds_completed",
    "patient_signals",
)  # fmt: skip


def site_key(site: str | None, side: str | None) -> str:
    if not site:
        return "(no point labelled)"
    return f"{site} {side}" if side and not site.endswith(f" {side}") else site


def _holds(session: dict[str, Any]) -> list[dict[str, Any]]:
    """The analysis' holds, each with the ``site`` it was at."""
    marks = sorted(
        (e for e in session.get("events", []) if e["kind"] == "mark"), key=lambda m: m["t_s"]
    )
    holds = (session.get("analysis") or {}).get("holds") or []
    out = []
    for h in holds:
        before = [m for m in marks if m["t_s"] <= h["start_s"]]
        during = [m for m in marks if m["t_s"] <= h["end_s"]]
        mark = before[-1] if before else (during[0] if during else None)
        site = site_key(mark["label"], mark.get("side")) if mark else "(no point labelled)"
        out.append({**h, "site": site})
    return out


def _mean(values: Iterable[float]) -> float | None:
    v = list(values)
    return round(fmean(v), 3) if v else None


def visit_summary(session: dict[str, Any]) -> dict[str, Any]:
    """One visit: sites treated with their holds, thresholds before/after, discomfort, notes."""
    events = session.get("events", [])
    holds = _holds(session)
    ppts = [e for e in events if e["kind"] == "ppt"]
    ratings = [e for e in events if e["kind"] == "discomfort"]
    sites: dict[str, dict[str, Any]] = {}

    def entry(key: str) -> dict[str, Any]:
        return sites.setdefault(key, {"site": key, "holds": [], "thresholds": [], "discomfort": []})

    for h in holds:
        entry(h["site"])["holds"].append(
            {k: h.get(k) for k in ("start_s", "duration_s", "completed", "mean_n", "cv", "peak_n")}
        )
    for p in ppts:
        entry(site_key(p["site"], p.get("side")))["thresholds"].append(
            {"t_s": p["t_s"], "value_n": p["value_n"], "rate_n_per_s": p.get("rate_n_per_s")}
        )
    for r in ratings:
        entry(site_key(r.get("site"), r.get("side")))["discomfort"].append(
            {"t_s": r["t_s"], "level": r["level"]}
        )
    for s in sites.values():
        first = min((h["start_s"] for h in s["holds"]), default=None)
        last = max((h["start_s"] + h["duration_s"] for h in s["holds"]), default=None)
        before = [t["value_n"] for t in s["thresholds"] if first is None or t["t_s"] < first]
        after = [t["value_n"] for t in s["thresholds"] if last is not None and t["t_s"] > last]
        s["threshold_before_n"] = _mean(before)
        s["threshold_after_n"] = _mean(after)
        s["pressure_held_n"] = _mean(h["mean_n"] for h in s["holds"] if h["mean_n"] is not None)
        s["time_held_s"] = round(sum(h["duration_s"] for h in s["holds"]), 3)
        s["discomfort_max"] = max((d["level"] for d in s["discomfort"]), default=None)
        s["discomfort_mean"] = _mean(d["level"] for d in s["discomfort"])
    return {
        "session_id": session["id"],
        "started_at": session.get("started_at"),
        "duration_s": session.get("duration_s"),
        "label": session.get("label"),
        "notes": session.get("notes"),
        "station_name": session.get("station_name"),
        "sites": list(sites.values()),
        "patient_signals": sum(1 for e in events if e["kind"] == "patient_signal"),
        "holds": len(holds),
        "holds_completed": sum(1 for h in holds if h.get("completed")),
    }


def progress(sessions: list[dict[str, Any]]) -> dict[str, Any]:
    """Visits oldest first, and per site a series across visits: threshold (the visit's first
    measurement, i.e. before treatment when there was one), pressure held and discomfort."""
    visits = [visit_summary(s) for s in sessions]
    series: dict[str, list[dict[str, Any]]] = {}
    for i, v in enumerate(visits):
        for s in v["sites"]:
            threshold = s["threshold_before_n"]
            if threshold is None:
                threshold = _mean(t["value_n"] for t in s["thresholds"])
            series.setdefault(s["site"], []).append(
                {
                    "visit": i + 1,
                    "session_id": v["session_id"],
                    "started_at": v["started_at"],
                    "threshold_n": threshold,
                    "threshold_after_n": s["threshold_after_n"],
                    "pressure_held_n": s["pressure_held_n"],
                    "time_held_s": s["time_held_s"],
                    "discomfort_mean": s["discomfort_mean"],
                }
            )
    latest = visits[-1] if visits else None
    latest_holds = []
    if sessions:
        latest_holds = [
            {k: h.get(k) for k in ("site", "start_s", "duration_s", "completed", "mean_n", "cv")}
            for h in _holds(sessions[-1])
        ]
    return {
        "visits": [
            {k: v[k] for k in VISIT_FIELDS} | {"sites": [s["site"] for s in v["sites"]]}
            for v in visits
        ],
        "sites": [{"site": k, "visits": pts} for k, pts in series.items()],
        "latest": latest,
        "latest_holds": latest_holds,
    }
