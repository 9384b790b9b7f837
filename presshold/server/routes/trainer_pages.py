"""Trainer pages: ``/students`` (list, add), ``/students/{id}`` (progress) and the printable
reports ``/students/{id}/report`` and ``/runs/{id}/report``."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from presshold.errors import NotFound, PressHoldError
from presshold.server.deps import TrainerDep
from presshold.server.routes.pages import dashboard_dir
from presshold.server.trainer.reports import run_html, student_html
from presshold.server.trainer.service import TrainerService
from presshold.training.progress import summary

router = APIRouter(include_in_schema=False)


@router.get("/students")
def students_page() -> FileResponse:
    return FileResponse(dashboard_dir() / "students.html")


async def _student(trainer: TrainerService, student_id: str, printable: bool) -> HTMLResponse:
    await trainer.flush()  # trials a run just stored are on the page
    student = await trainer.call(trainer.repo.student, student_id)
    runs = await trainer.call(trainer.repo.runs_of, student_id)
    trials = await trainer.call(trainer.repo.trials, student_id=student_id, with_trace=printable)
    if printable:
        steps_of = {r["id"]: r["protocol"]["steps"] for r in runs}
        for t in trials:
            step = steps_of.get(t["run_id"], [None] * t["step"])[t["step"] - 1] or {}
            if step:
                half = step.get("tolerance_n") or step["target_n"] * step["tolerance_pct"] / 100
                t["band_n"] = [step["target_n"] - half, step["target_n"] + half]
    html = student_html(student, runs, trials, summary(trials), printable=printable)
    return HTMLResponse(html)


@router.get("/students/{student_id}")
async def student_page(student_id: str, trainer: TrainerDep) -> HTMLResponse:
    return await _student(trainer, student_id, printable=False)


@router.get("/students/{student_id}/report")
async def student_report(student_id: str, trainer: TrainerDep) -> HTMLResponse:
    return await _student(trainer, student_id, printable=True)


@router.get("/runs/{run_id}/report")
async def run_report(run_id: str, trainer: TrainerDep) -> HTMLResponse:
    await trainer.flush()
    run = await trainer.run_view(run_id)
    student = None
    if run.get("student_id"):
        try:
            student = await trainer.call(trainer.repo.student, run["student_id"])
        except NotFound:
            student = None
    return HTMLResponse(run_html(run, student, await _ghosts(trainer, run)))


async def _ghosts(trainer: TrainerService, run: dict[str, Any]) -> dict[str, list[list[float]]]:
    """Each reference's trace with its time counted from its own press start (the report
    shifts it to the trial's press start)."""
    out: dict[str, list[list[float]]] = {}
    for step in run["protocol"]["steps"]:
        rid = step.get("reference_id")
        if not rid or rid in out:
            continue
        try:
            ref = await trainer.reference_shape(rid)
        except PressHoldError:
            continue  # a deleted reference: the report still prints, without the ghost
        half = step.get("tolerance_n") or step["target_n"] * step["tolerance_pct"] / 100
        start = ref.press_start(step["target_n"], half, step["hold_s"]) or float(ref.t_s[0])
        out[rid] = np.column_stack((ref.t_s - start, ref.force_n)).tolist()
    return out
