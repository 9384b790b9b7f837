"""``presshold.signal`` stays pure: NumPy and the standard library's plain parts only.

Not SciPy either: importing ``scipy.signal`` costs ~1 s of CPU, more than a whole offline analysis
of an hour at 1 kHz (``iir.py``, docs/benchmarks.md). The tests use SciPy as the reference."""

import ast
from pathlib import Path

import presshold.signal

ALLOWED = {
    "__future__",
    "collections",
    "dataclasses",
    "itertools",
    "math",
    "re",
    "typing",
    "numpy",
}
FORBIDDEN = {"serial", "asyncio", "fastapi", "threading", "socket", "sqlite3", "os", "io"}


def test_signal_imports_nothing_but_numpy_and_errors():
    root = Path(presshold.signal.__file__).parent
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top not in FORBIDDEN, f"{path.name} imports {name}"
                ok = (
                    top in ALLOWED
                    or name == "presshold.errors"
                    or name.startswith("presshold.signal")
                )
                assert ok, f"{path.name} imports {name}"
