"""`presshold.signal` must never shadow the standard library's `signal` module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_top_level_signal_module_or_test_folder() -> None:
    assert not (ROOT / "signal").exists() and not (ROOT / "signal.py").exists()
    assert not [p for p in (ROOT / "tests").rglob("signal") if p.is_dir()]


def test_standard_signal_module_is_the_one_imported_next_to_presshold() -> None:
    """From the repository root and from tests/ (pytest's rootdir), `signal` is the stdlib one."""
    code = (
        "import asyncio, signal, presshold.signal, presshold.server.app;"
        "assert hasattr(signal, 'SIGINT'), signal.__file__;"
        "assert presshold.signal.__name__ == 'presshold.signal'"
    )
    for cwd in (ROOT, ROOT / "tests"):
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
