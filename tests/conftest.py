"""Shared fixtures and the opt-in/opt-out rules for browser, firmware and hardware tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.services import PG_BIN, Postgres, require

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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Postgres]:
    """One real PostgreSQL cluster for the run (started on first use; skipped with the reason
    when PostgreSQL is not installed, a failure with PRESSHOLD_REQUIRE_SERVICES=1)."""
    require(PG_BIN / "pg_ctl", "postgresql")
    pg = Postgres()
    try:
        pg.init()
        pg.start()
        yield pg
    finally:
        pg.destroy()


@pytest.fixture
def pg_url(postgres_server: Postgres) -> str:
    """A fresh, empty database on the shared cluster."""
    return postgres_server.create_database()


@pytest.fixture(params=["files", "postgresql"])
def records_url(request: pytest.FixtureRequest) -> str | None:
    """Run a records test on both engines: ``None`` (the data dir's SQLite and JSON files, the
    single-laptop default) and a fresh PostgreSQL database (``--store postgresql://…``)."""
    return request.getfixturevalue("pg_url") if request.param == "postgresql" else None
