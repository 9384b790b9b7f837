"""``presshold.training`` is domain only: importable without the server, no I/O."""

from pathlib import Path

from support.layering import imports

import presshold.training

ALLOWED = {
    "__future__", "collections", "dataclasses", "datetime", "math", "re", "typing", "numpy",
    "pydantic",
}  # fmt: skip


def test_training_imports_only_numpy_pydantic_and_the_signal_core():
    for file, name in imports(Path(presshold.training.__file__).parent):
        ok = (
            name.split(".")[0] in ALLOWED
            or name.startswith("presshold.signal")
            or name.startswith("presshold.training")
        )
        assert ok, f"{file} imports {name}"
