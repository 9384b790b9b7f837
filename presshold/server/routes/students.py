"""``/api/students``: who is training, their trials and their progress (trainer mode)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from presshold.server.deps import TrainerDep
from presshold.server.trainer.tables import trials_csv
from presshold.training.progress import summary

router = APIRouter(prefix="/api/students", tags=["trainer"])


class StudentBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)  # "  " is no name
    name: str = Field(min_length=1, max_length=80)
    group: str | None = Field(None, max_length=80)
    notes: str | None = Field(None, max_length=4000)


class StudentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(None, min_length=1, max_length=80)
    group: str | None = Field(None, max_length=80)
    notes: str | None = Field(None, max_length=4000)


@router.post("", status_code=201)
async def add_student(body: StudentBody, trainer: TrainerDep) -> dict[str, Any]:
    return await trainer.call(trainer.repo.add_student, body.name, body.group, body.notes)


@router.get("")
async def list_students(trainer: TrainerDep) -> list[dict[str, Any]]:
    """Every student with their latest trial's score."""
    return await trainer.call(trainer.repo.students)


@router.get("/{student_id}")
async def get_student(student_id: str, trainer: TrainerDep) -> dict[str, Any]:
    """The student, their runs, their trials (no traces) and the progress summary."""
    student = await trainer.call(trainer.repo.student, student_id)
    runs = await trainer.call(trainer.repo.runs_of, student_id)
    trials = await trainer.call(trainer.repo.trials, student_id=student_id)
    return {**student, "runs": runs, "trials": trials, "progress": summary(trials)}


@router.patch("/{student_id}")
async def patch_student(student_id: str, body: StudentPatch, trainer: TrainerDep) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    return await trainer.call(trainer.repo.update_student, student_id, fields)


@router.delete("/{student_id}")
async def delete_student(student_id: str, trainer: TrainerDep) -> dict[str, Any]:
    """Deletes the student with their trials and runs (the page asks for confirmation)."""
    n = await trainer.call(trainer.repo.delete_student, student_id)
    await trainer.forget_student(student_id)
    return {"deleted": student_id, "deleted_trials": n}


@router.get("/{student_id}/trials.csv")
async def student_trials_csv(student_id: str, trainer: TrainerDep) -> Response:
    """One row per trial with every metric and the score (formula-safe CSV)."""
    student = await trainer.call(trainer.repo.student, student_id)
    trials = await trainer.call(trainer.repo.trials, student_id=student_id)
    return _csv(trials_csv(trials, {student_id: student["name"]}), f"trials-{student_id}.csv")


def _csv(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
