"""``presshold.training`` is domain only: importable without the server, no I/O."""

import ast
from pathlib import Path

import presshold.training

ALLOWED = {
    "__future__", "collections", "dataclasses", "datetime", "math", "re", "typing", "numpy",
    "pydantic",
}  # fmt: skip


def test_training_imports_only_numpy_pydantic_and_the_signal_core():
    root = Path(presshold.training.__file__).parent
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                ok = (
                    name.split(".")[0] in ALLOWED
                    or name.startswith("presshold.signal")
                    or name.startswith("presshold.training")
                )
                assert ok, f"{path.name} imports {name}"
