"""Every CSV PressHold writes goes through ``presshold.traceio.csv_safe`` (issue 12): a guard that
fails when new code writes CSV another way (``csv.writer``, ``",".join`` rows, a ``text/csv``
response) outside the modules that use the safe writer."""

from __future__ import annotations

import ast
from pathlib import Path

import presshold

ROOT = Path(presshold.__file__).parent
# Modules allowed to assemble CSV text: the writer itself and the session CSV built on it.
WRITERS = {"traceio/csv_safe.py", "traceio/session_csv.py"}
# Modules that send CSV produced by those writers.
SENDERS = {
    "server/exports.py",
    "server/routes/sessions.py",
    "server/routes/runs.py",
    "server/routes/students.py",
}


def _csv_writing(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in {"writer", "DictWriter"}
            and isinstance(node.value, ast.Name)
            and node.value.id == "csv"
        ):
            found.append(f"csv.{node.attr}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "join"
            and isinstance(node.func.value, ast.Constant)
            and node.func.value.value in {",", ";", "\t"}
        ):
            found.append(f"{node.func.value.value!r}.join")
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and "text/csv" in node.value
        ):
            found.append("text/csv")
    return found


def test_csv_is_written_only_through_the_safe_writer() -> None:
    offenders = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        found = _csv_writing(ast.parse(path.read_text(encoding="utf-8")))
        if rel in WRITERS:
            continue
        if rel in SENDERS:
            found = [f for f in found if f != "text/csv"]
        if found:
            offenders[rel] = found
    assert offenders == {}, f"CSV written outside presshold.traceio.csv_safe: {offenders}"
