"""argparse types for every command's targets, tolerances, times and rates (issue 11).

One grammar (:mod:`presshold.signal.units`) and one wording: an invalid value is reported by
argparse as ``argument --tolerance: '-5%' is not a tolerance: … e.g. --tolerance 10%`` — the
option, what is wrong, and a value that works. Negative values (``--tolerance -5%``) reach the
validator as values instead of being taken for options (:func:`join_option_values`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from presshold.errors import ConfigError
from presshold.signal.units import (
    ToleranceSpec,
    check_band,
    parse_rate,
    parse_seconds,
    parse_target,
    parse_tolerance_spec,
)

EXAMPLES = {
    "--target": "--target 30 (newtons), 30N, 3kgf or 6.7lbf",
    "--tolerance": "--tolerance 10% or --tolerance 3N",
    "--hold": "--hold 30 (seconds)",
    "--grace": "--grace 0.5 (seconds)",
    "--min-hold": "--min-hold 1 (seconds)",
    "--rate": "--rate 80 (samples per second)",
}
VALUE_OPTIONS = frozenset(EXAMPLES)


def _typed(option: str, what: str, parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse ``type`` that names the option and shows an example when ``parse`` fails."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not {what}: {exc}; e.g. {EXAMPLES[option]}"
            ) from None

    convert.__name__ = what  # argparse names a failing type by it
    return convert


target = _typed("--target", "a target force", parse_target)
tolerance = _typed("--tolerance", "a tolerance", parse_tolerance_spec)
hold = _typed("--hold", "a hold time", lambda s: parse_seconds(s))
grace = _typed("--grace", "a grace period", lambda s: parse_seconds(s, maximum=60, zero_ok=True))
min_hold = _typed(
    "--min-hold", "a minimum hold", lambda s: parse_seconds(s, maximum=60, zero_ok=True)
)
rate = _typed("--rate", "a sample rate", lambda s: parse_rate(s))
sim_rate = _typed("--rate", "a simulator rate", lambda s: parse_rate(s, minimum=10, maximum=1000))


def target_text(text: str) -> str:
    """``serve --target``: validated here, kept as typed (the settings record the text)."""
    target(text)
    return text.strip()


def tolerance_text(text: str) -> str:
    tolerance(text)
    return text.strip()


target_text.__name__ = "a target force"
tolerance_text.__name__ = "a tolerance"


def band(target_n: float, spec: ToleranceSpec) -> float:
    """The tolerance in newtons, checked against the target (the band must lie above zero)."""
    tol = spec.newtons(target_n)
    try:
        check_band(target_n, tol)
    except ConfigError as exc:
        raise ConfigError(f"--tolerance {spec}: {exc}; e.g. {EXAMPLES['--tolerance']}") from None
    return tol


def join_option_values(argv: Sequence[str]) -> list[str]:
    """``--tolerance -5%`` → ``--tolerance=-5%``: argparse takes a value that starts with ``-``
    (and is not a plain negative number) for an option and answers "expected one argument";
    joined, it reaches the validator, which says what is wrong with it."""
    out: list[str] = []
    it = iter(argv)
    for arg in it:
        if arg in VALUE_OPTIONS:
            nxt = next(it, None)
            if nxt is not None and nxt.startswith("-") and nxt[1:2] not in ("-", ""):
                out.append(f"{arg}={nxt}")
                continue
            out.append(arg)
            if nxt is not None:
                out.append(nxt)
            continue
        out.append(arg)
    return out
