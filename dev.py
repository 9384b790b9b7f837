#!/usr/bin/env python3
"""Set up and run PressHold from a fresh checkout, in any shell, on Windows, macOS or Linux.

    python3 dev.py demo     # make .venv, install PressHold, run it on the simulated sensor
    python3 dev.py test     # make .venv, install PressHold with test tools, ruff + pytest

Extra arguments go to ``presshold demo`` or to pytest. Needs only Python >= 3.11.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def _run(*cmd: str | Path) -> None:
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT)
    if result.returncode:
        raise SystemExit(result.returncode)


def ensure_venv(extra: str) -> None:
    """Create .venv and (re)install the project when pyproject.toml or the extra changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 -- dev.py must explain itself on an old Python
        raise SystemExit("PressHold needs Python 3.11 or newer.")
    if not PY.exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".presshold-installed-{extra or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    spec = f".[{extra}]" if extra else "."
    print(f"Installing {spec} into .venv ...", flush=True)
    _run(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", spec)
    stamp.write_text(digest)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "demo":
        ensure_venv("")
        cmd = [str(PY), "-m", "presshold", "demo", *rest]
        if os.name == "nt":
            return subprocess.call(cmd, cwd=ROOT)
        os.execv(cmd[0], cmd)
    ensure_venv("test")
    _run(PY, "-m", "ruff", "check", ".")
    _run(PY, "-m", "ruff", "format", "--check", ".")
    _run(PY, "-m", "pytest", *rest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
