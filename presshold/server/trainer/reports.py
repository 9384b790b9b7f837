"""Server-rendered trainer pages: a student's progress (``/students/{id}``) and the printable
reports (``/students/{id}/report``, ``/runs/{id}/report``).

Why HTML from the server: a report must print the same from any browser, with its charts, and
with nothing interactive on paper; SVG drawn here needs no script and no waiting for data. Every
value from a person (names, notes, protocol names) goes through :func:`html.escape`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from presshold.server.trainer.svg import scores_svg, trace_svg

FORMULA = (
    "score = 100 × A × (0.6 + 0.4 × mean(S, C)), × (0.5 + 0.5 × R) when a rate is asked. "
    "A (accuracy): time-weighted credit over the hold window — 1 inside the band, falling "
    "linearly to 0 one more half-width outside it, 0 after release (against the reference's "
    "curve when the step has one). S (steadiness): 1 at CV ≤ 5 %, 0 at CV ≥ 15 %. "
    "C (completion): share of the hold time held before releasing. R (rate of application "
    "from 20 % to 80 % of the target): 1 at the asked rate, 0 at 100 % off. A trial passes "
    "at the protocol's pass score (default 70); the protocol passes when its stated share of "
    "trials pass (default 4 of 5)."
)
MAX_TRACES = 12  # a student report shows the latest trials' traces; the CSV has every trial


def _fmt(v: Any, nd: int = 1, unit: str = "") -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float | int):
        text = f"{v:.{nd}f}"
        return ("0" + text[2:] if text.startswith("-0") and float(text) == 0 else text) + unit
    return escape(str(v))


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="data:,"><title>{escape(title)}</title>'
        '<link rel="stylesheet" href="/static/report.css">'
        f"</head><body>{body}</body></html>"
    )


def _nav() -> str:
    return (
        '<nav><a href="/">Live</a><a href="/overview">Overview</a><a href="/sessions">Sessions</a>'
        '<a href="/students">Students</a><a href="/clients">Clients</a></nav>'
    )


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


TRIAL_HEAD = (
    "<tr><th>#</th><th>When</th><th>Target</th><th>Feedback</th><th class=num>Score</th>"
    "<th>Pass</th><th class=num>In band</th><th class=num>Mean error</th>"
    "<th class=num>RMS error</th><th class=num>CV</th><th class=num>Time to band</th>"
    "<th class=num>Overshoot</th><th class=num>Rate</th><th>Held</th><th>End</th></tr>"
)


def _trial_row(n: int, t: dict[str, Any], when: slice) -> str:
    m = t["metrics"]
    rate = "—"
    if m.get("rate_n_per_s") is not None:
        rate = f"{m['rate_n_per_s']:.1f} N/s"
        if m.get("rate_asked_n_per_s"):
            rate += f" (asked {m['rate_asked_n_per_s']:g})"
    fb = escape(t["feedback"]) + ("" if t["shown"] else " (hidden)")
    verdict = '<span class="pass">pass</span>' if t["passed"] else '<span class="fail">fail</span>'
    rms = m.get("reference_rms_n") if m.get("reference_rms_n") is not None else m["rms_error_n"]
    return (
        f"<tr><td>{n}</td><td>{escape(t['started_at'][when].replace('T', ' '))}</td>"
        f"<td>{t['target_n']:g} N</td><td>{fb}</td>"
        f"<td class=num>{t['score']:.1f}</td><td>{verdict}</td>"
        f"<td class=num>{_fmt(m['time_in_band_pct'], 0, ' %')}</td>"
        f"<td class=num>{_fmt(m['mean_error_n'], 1, ' N')}</td>"
        f"<td class=num>{_fmt(rms, 1, ' N')}</td>"
        f"<td class=num>{_fmt(None if m['cv'] is None else 100 * m['cv'], 1, ' %')}</td>"
        f"<td class=num>{_fmt(m['time_to_band_s'], 1, ' s')}</td>"
        f"<td class=num>{_fmt(m['overshoot_pct'], 0, ' %')}</td>"
        f"<td class=num>{rate}</td><td>{_fmt(m['hold_completed'])}</td>"
        f"<td>{escape(t.get('end_reason') or '')}</td></tr>"
    )


def trials_table(trials: Sequence[dict[str, Any]], *, time_only: bool = False) -> str:
    when = slice(11, 19) if time_only else slice(5, 16)  # "13:38:22" or "11-29 13:38"
    rows = "".join(_trial_row(i + 1, t, when) for i, t in enumerate(trials))
    if not rows:
        return "<p>No trials yet.</p>"
    return f'<table class="trials">{TRIAL_HEAD}{rows}</table>'


def _traces(
    trials: Sequence[dict[str, Any]], ghosts: dict[str, list[list[float]]], dated: bool = False
) -> str:
    out = []
    for t in trials:
        if not t.get("trace"):
            continue
        band = t.get("band_n") or [t["target_n"] * 0.9, t["target_n"] * 1.1]
        m = t["metrics"]
        ref_id = (t.get("reference_id") or "") if t.get("reference_id") else ""
        ghost = ghosts.get(ref_id)
        title = f"Trial {t['index'] + 1}: {t['target_n']:g} N, score {t['score']:.0f}"
        if dated:  # a student's trials come from several runs
            title = f"{t['started_at'][5:16].replace('T', ' ')} · {title}"
        shift = (m.get("press_start_s") or 0.0) if ghost else 0.0
        out.append(
            f'<div class="trace"><h3>{escape(title)}</h3>'
            + trace_svg(t["trace"], band, t["target_n"], ghost=ghost, ghost_shift_s=shift,
                        title=title)
            + f"<p>{escape(t['feedback'])}{'' if t['shown'] else ' — hidden'}; "
            f"in band {_fmt(m['time_in_band_pct'], 0, ' %')}, "
            f"mean error {_fmt(m['mean_error_n'], 1, ' N')}</p></div>"
        )  # fmt: skip
    return f'<div class="traces">{"".join(out)}</div>' if out else ""


def _group_table(rows: list[dict[str, Any]], key: str, label: str) -> str:
    if not rows:
        return "<p>—</p>"
    body = "".join(
        f"<tr><td>{escape(str(r[key])) if key != 'target_n' else f'{r[key]:g} N'}</td>"
        f"<td class=num>{r['trials']}</td><td class=num>{_fmt(r['mean_score'])}</td>"
        f"<td class=num>{r['passed']}</td><td class=num>{_fmt(r['mean_error_n'], 1, ' N')}</td>"
        f"<td class=num>{_fmt(r['mean_abs_error_n'], 1, ' N')}</td></tr>"
        for r in rows
    )
    return (
        f"<table><tr><th>{label}</th><th class=num>Trials</th><th class=num>Mean score</th>"
        "<th class=num>Passed</th><th class=num>Mean error (signed)</th>"
        f"<th class=num>Mean |error|</th></tr>{body}</table>"
    )


def _retention(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>Retention appears once a protocol has been practised on two different days.</p>"
    body = "".join(
        f"<tr><td>{escape(r['protocol_id'])}</td><td>{r['first_day']}</td>"
        f"<td class=num>{_fmt(r['first_mean_score'])}</td><td>{r['latest_day']}</td>"
        f"<td class=num>{_fmt(r['latest_mean_score'])}</td>"
        f"<td class=num>{r['days_apart']}</td></tr>"
        for r in rows
    )
    return (
        "<table><tr><th>Protocol</th><th>First day</th><th class=num>Mean score</th>"
        "<th>Latest day</th><th class=num>Mean score</th><th class=num>Days apart</th></tr>"
        f"{body}</table>"
    )


def student_html(
    student: dict[str, Any],
    runs: list[dict[str, Any]],
    trials: list[dict[str, Any]],
    progress: dict[str, Any],
    *,
    printable: bool,
) -> str:
    """The progress page, or (``printable``) the report: no controls, the formula, the notes."""
    sid = escape(student["id"])
    name = escape(student["name"])
    group = f" · {escape(student['group'])}" if student.get("group") else ""
    overall = progress["overall"]
    head = (
        ("" if printable else _nav())
        + f"<h1>{'Report: ' if printable else ''}{name}</h1>"
        + f'<p class="meta">Student{group} · {overall["trials"]} trials · '
        f"mean score {_fmt(overall['mean_score'])} · {len(runs)} runs"
        + (f" · printed {_stamp()}" if printable else "")
        + "</p>"
    )
    controls = (
        ""
        if printable
        else f'<p class="controls"><a href="/students/{sid}/report">Printable report</a>'
        f'<a href="/api/students/{sid}/trials.csv" download>Trials (CSV)</a>'
        '<a href="/students">All students</a></p>'
    )
    run_rows = "".join(
        f"<tr><td>{escape(r['started_at'][:16].replace('T', ' '))}</td>"
        f"<td>{escape(r['protocol']['name'])}</td><td>{escape(r['status'])}</td>"
        f"<td>{_verdict(r.get('result'))}</td>"
        + ("" if printable else f'<td><a href="/runs/{escape(r["id"])}/report">report</a></td>')
        + "</tr>"
        for r in runs
    )
    pts = [(t["score"], t["shown"]) for t in trials]
    body = (
        head
        + controls
        + "<section><h2>Scores over time</h2>"
        + scores_svg(pts, 70, "score of each trial in order")
        + '<p class="meta">Filled dots: feedback seen; open dots: hidden (after, blind, faded). '
        "Dashed line: pass score 70.</p></section>"
        + "<section><h2>By target level</h2>"
        + _group_table(progress["by_target"], "target_n", "Target")
        + "</section><section><h2>Seen against hidden feedback</h2>"
        + _group_table(progress["by_feedback"], "feedback", "Feedback")
        + "</section><section><h2>Retention</h2>"
        + _retention(progress["retention"])
        + "</section><section><h2>Runs</h2>"
        + (
            f"<table><tr><th>Started</th><th>Protocol</th><th>Status</th><th>Result</th>"
            f"{'' if printable else '<th></th>'}</tr>{run_rows}</table>"
            if run_rows
            else "<p>No runs yet.</p>"
        )
        + "</section><section><h2>Trials</h2>"
        + trials_table(trials)
        + "</section>"
        + (
            "<section><h2>Latest traces</h2>"
            + _traces(trials[-MAX_TRACES:], {}, dated=True)
            + "</section>"
            if printable
            else ""
        )
        + _notes_and_formula(student.get("notes"))
    )
    return _page(f"{student['name']} — PressHold", body)


def _verdict(result: dict[str, Any] | None) -> str:
    if not result:
        return "—"
    cls, word = ("pass", "passed") if result["passed"] else ("fail", "not passed")
    return (
        f'<span class="{cls}">{word}</span> ({result["trials_passed"]} of {result["trials"]} '
        f"trials passed, {result['needed']} needed)"
    )


def _notes_and_formula(notes: str | None) -> str:
    return (
        "<section><h2>Trainer's notes</h2>"
        f'<div class="notes">{escape(notes) if notes else "—"}</div></section>'
        f'<section><h2>How the score is computed</h2><p class="formula">{escape(FORMULA)}</p>'
        "</section>"
    )


def run_html(
    run: dict[str, Any], student: dict[str, Any] | None, ghosts: dict[str, list[list[float]]]
) -> str:
    """The printable report of one run: verdict, scores table, every trial's trace."""
    p = run["protocol"]
    who = escape(student["name"]) if student else "no student assigned"
    steps = "; ".join(
        f"{s['target_n']:g} N ± "
        + (f"{s['tolerance_pct']:g} %" if s.get("tolerance_pct") else f"{s['tolerance_n']:g} N")
        + f" × {s['hold_s']:g} s × {s['reps']}, {s['feedback']}"
        + (f", ramp {s['ramp_n_per_s']:g} N/s" if s.get("ramp_n_per_s") else "")
        for s in p["steps"]
    )
    trials = run["trials"]
    for t in trials:
        step = p["steps"][t["step"] - 1]
        t.setdefault("reference_id", step.get("reference_id"))
        if "band_n" not in t:
            half = step.get("tolerance_n") or step["target_n"] * step["tolerance_pct"] / 100
            t["band_n"] = [step["target_n"] - half, step["target_n"] + half]
    res = run.get("result")
    body = (
        f"<h1>Run report: {escape(p['name'])}</h1>"
        f'<p class="meta">{who} · station {escape(run.get("station_name") or "")} · '
        f"started {escape(run['started_at'][:19].replace('T', ' '))} UTC · "
        f"{escape(run['status'])} · printed {_stamp()}</p>"
        f"<p>Protocol: {escape(steps)}. Pass: a trial scores {p['pass_score']:g} or more; the "
        f"run passes when {p['pass_share'] * 100:g} % of its trials pass.</p>"
        f'<p class="verdict">{_verdict(res)}'
        + (f" · mean score {_fmt(res.get('mean_score'))}" if res else "")
        + "</p><section><h2>Scores</h2>"
        + trials_table(trials, time_only=True)
        + "</section><section><h2>Traces</h2>"
        + '<p class="meta">Shaded: the band; dashed line: the target'
        + ("; dashed grey: the reference, aligned on the press start" if ghosts else "")
        + ". Time from the press cue.</p>"
        + _traces(trials, ghosts)
        + "</section>"
        + _notes_and_formula(student.get("notes") if student else None)
    )
    return _page(f"Run report — {p['name']}", body)
