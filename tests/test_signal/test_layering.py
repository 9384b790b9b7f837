"""``presshold.signal`` stays pure: NumPy and the standard library's plain parts only.

Not SciPy either: importing ``scipy.signal`` costs ~1 s of CPU, more than a whole offline analysis
of an hour at 1 kHz (``iir.py``, docs/benchmarks.md). The tests use SciPy as the reference."""

from pathlib import Path

from support.layering import imports

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
    for file, name in imports(Path(presshold.signal.__file__).parent):
        top = name.split(".")[0]
        assert top not in FORBIDDEN, f"{file} imports {name}"
        ok = top in ALLOWED or name == "presshold.errors" or name.startswith("presshold.signal")
        assert ok, f"{file} imports {name}"
