"""The built wheel carries the dashboard, and the command installed from it serves it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest
from support.server import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD_FILES = (
    "presshold/dashboard/index.html",
    "presshold/dashboard/app.js",
    "presshold/dashboard/style.css",
    "presshold/dashboard/sessions.html",
    "presshold/dashboard/session.html",
    "presshold/dashboard/vendor/uplot/uPlot.iife.min.js",
    "presshold/dashboard/vendor/uplot/LICENSE",
    "presshold/py.typed",
)
SKIP_WHEN_COPYING = (
    ".git",
    ".venv",
    "build",
    "*.egg-info",
    "test-artifacts",
    "__pycache__",
    ".*_cache",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pip wheel .` offline: the build uses the test environment's setuptools."""
    out = tmp_path_factory.mktemp("wheel")
    src = tmp_path_factory.mktemp("src") / "presshold"  # a clean copy: no stale build/ in the tree
    skip = shutil.ignore_patterns(*SKIP_WHEN_COPYING)
    shutil.copytree(ROOT, src, ignore=skip)
    cmd = [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation"]
    result = subprocess.run(
        [*cmd, "--quiet", "--disable-pip-version-check", "-w", str(out)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    (built,) = out.glob("presshold-*.whl")
    return built


def test_wheel_contains_the_dashboard(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [f for f in DASHBOARD_FILES if f not in names]
    assert not missing, f"not in {wheel.name}: {missing}"
    assert not [n for n in names if n.startswith(("tests/", "bench/", "hardware/"))]


def test_installed_wheel_serves_the_dashboard(
    wheel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # `python -m` puts the working directory first on sys.path
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {"PYTHONPATH": str(site)}  # ahead of the editable checkout on sys.path
    where = subprocess.run(
        [sys.executable, "-c", "import presshold; print(presshold.__file__)"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    ).stdout
    assert where.startswith(str(site)), where
    with ServerProcess(tmp_path / "data", env=env) as server:
        page = httpx.get(f"{server.url}/", timeout=5)
        assert page.status_code == 200
        assert 'role="meter"' in page.text
        for asset in ("/static/app.js", "/static/vendor/uplot/uPlot.iife.min.js"):
            assert httpx.get(server.url + asset, timeout=5).status_code == 200, asset
