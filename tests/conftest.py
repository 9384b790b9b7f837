"""Shared fixtures and the opt-in/opt-out rules for browser, firmware and hardware tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--device",
        default=None,
        help="serial port of a real PressHold sensor; enables tests marked 'hardware'",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Short reliability runs by default; ``-m soak`` runs them long (tests/support/soak.py)."""
    from support import soak

    soak.configure(config.getoption("markexpr") or "")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--device"):
        return
    skip = pytest.mark.skip(reason="needs a real sensor: pass --device PORT")
    for item in items:
        if "hardware" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def artifacts_dir() -> Path:
    """Where tests save screenshots and logs for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def anyio_backend() -> str:
    """In-process async tests (``@pytest.mark.anyio``) run on asyncio, as the server does."""
    return "asyncio"
