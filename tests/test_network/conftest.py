"""A fresh Mosquitto per network test (tests kill and restart it); the PostgreSQL fixtures
(one cluster per run, a fresh database per test) are the root conftest's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.services import MOSQUITTO, Mosquitto, require


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    require(MOSQUITTO, "mosquitto")
    b = Mosquitto(tmp_path)
    b.start()
    try:
        yield b
    finally:
        b.stop()
