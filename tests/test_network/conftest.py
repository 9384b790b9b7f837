"""Real engines for the network tests: one PostgreSQL cluster for the module run (a fresh
database per test), a fresh Mosquitto per test (tests kill and restart it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.services import MOSQUITTO, PG_BIN, Mosquitto, Postgres, require


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Postgres]:
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


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    require(MOSQUITTO, "mosquitto")
    b = Mosquitto(tmp_path)
    b.start()
    try:
        yield b
    finally:
        b.stop()
