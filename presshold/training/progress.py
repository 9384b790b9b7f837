"""A student's progress from their trials: by target level, seen vs hidden, and retention.

Why these cuts: trainers ask "can they find 20 N?" (error by target), "can they find it without
looking?" (seen vs hidden feedback — the number the literature on feedback withdrawal cares
about) and "does it last?" (the same protocol days or weeks apart).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 2) if xs else None


def _group(trials: list[dict[str, Any]]) -> dict[str, Any]:
    errs = [
        t["metrics"]["mean_error_n"] for t in trials if t["metrics"].get("mean_error_n") is not None
    ]
    return {
        "trials": len(trials),
        "mean_score": _mean([t["score"] for t in trials]),
        "passed": sum(1 for t in trials if t["passed"]),
        "mean_error_n": _mean(errs),
        "mean_abs_error_n": _mean([abs(e) for e in errs]),
    }


def by_target(trials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[float, list[dict[str, Any]]] = defaultdict(list)
    for t in trials:
        groups[float(t["target_n"])].append(t)
    return [{"target_n": k, **_group(v)} for k, v in sorted(groups.items())]


def by_feedback(trials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Seen (force shown live) against hidden (after, blind, faded-hidden), then per mode."""
    rows = [
        {"feedback": "seen", **_group([t for t in trials if t["shown"]])},
        {"feedback": "hidden", **_group([t for t in trials if not t["shown"]])},
    ]
    modes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t in trials:
        modes[t["feedback"]].append(t)
    rows += [{"feedback": f"mode: {k}", **_group(v)} for k, v in sorted(modes.items())]
    return [r for r in rows if r["trials"]]


def _day(iso: str) -> str:
    return iso[:10]


def retention(trials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per protocol practised on more than one day: the first and the latest day's mean score
    and how many days apart."""
    per: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for t in trials:
        per[t.get("protocol_id") or "?"][_day(t["started_at"])].append(t["score"])
    out = []
    for pid, days in sorted(per.items()):
        if len(days) < 2:
            continue
        first, last = min(days), max(days)
        apart = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).days
        out.append(
            {
                "protocol_id": pid,
                "first_day": first,
                "first_mean_score": _mean(days[first]),
                "latest_day": last,
                "latest_mean_score": _mean(days[last]),
                "days_apart": apart,
                "days_practised": len(days),
            }
        )
    return out


def summary(trials: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "overall": _group(trials),
        "by_target": by_target(trials),
        "by_feedback": by_feedback(trials),
        "retention": retention(trials),
    }
