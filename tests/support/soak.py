"""Short and long forms of the reliability tests (``docs/reliability.md``).

A test marked ``soak`` runs in every normal run in its short form; ``pytest -m soak`` runs the
marked tests in their long form (10⁶ parser lines, 1,000 unplug/replug cycles, 100 churning
viewers). The Hypothesis profile follows: ``short`` normally, ``soak`` for ``-m soak``.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

LONG = False
"""True in a ``-m soak`` run (set by ``tests/conftest.py`` before any test module is imported)."""

settings.register_profile("short", deadline=None)
settings.register_profile(
    "soak",
    deadline=None,
    max_examples=1000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def choose(short: int, long: int) -> int:
    """``long`` in a soak run, else ``short``."""
    return long if LONG else short


def configure(markexpr: str) -> None:
    global LONG
    LONG = "soak" in markexpr and "not soak" not in markexpr
    settings.load_profile("soak" if LONG else "short")
