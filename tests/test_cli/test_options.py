"""One parser and one validator for every command's targets, tolerances and times (issue 11,
item 9): the same value gets the same answer from ``serve``, ``demo``, ``analyze`` and the
environment, and every error names the option and shows a value that works."""

from __future__ import annotations

import subprocess
import sys

import pytest

from presshold.cli import main
from presshold.cli.options import join_option_values
from presshold.errors import ConfigError
from presshold.server.config import load_settings
from presshold.signal.units import parse_seconds, parse_target, parse_tolerance_spec


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


BAD = [  # (option, value, what the message must say)
    ("--tolerance", "-5%", "more than 0 and under 100"),
    ("--tolerance", "150%", "more than 0 and under 100"),
    ("--tolerance", "abc", "not a number"),
    ("--tolerance", "3kg", "'kg'"),
    ("--target", "abc", "not a number"),
    ("--target", "-25", "more than 0"),
    ("--target", "0N", "more than 0"),
    ("--hold", "abc", "not a number"),
    ("--hold", "0", "more than 0"),
    ("--hold", "-3", "more than 0"),
]
EXAMPLE = {"--tolerance": "--tolerance 10%", "--target": "--target 30", "--hold": "--hold 30"}


@pytest.mark.parametrize(("option", "value", "says"), BAD)
@pytest.mark.parametrize("command", ["serve", "demo", "analyze"])
def test_every_command_answers_a_bad_value_alike(
    capsys: pytest.CaptureFixture[str], command: str, option: str, value: str, says: str
) -> None:
    before = ["analyze", "trace.csv", "--target", "25"] if command == "analyze" else [command]
    for argv in ([*before, option, value], [*before, f"{option}={value}"]):
        code, err = run(capsys, *argv)
        assert code == 2
        line = err.strip().splitlines()[-1]
        assert line.startswith(f"presshold {command}: error: argument {option}: {value!r}")
        assert says in line and f"e.g. {EXAMPLE[option]}" in line
        assert "tolerance_pct" not in line and "Traceback" not in err


@pytest.mark.parametrize("command", ["serve", "analyze"])
def test_a_band_below_zero_is_refused_naming_the_tolerance(
    capsys: pytest.CaptureFixture[str], tmp_path, command: str
) -> None:
    trace = tmp_path / "t.csv"
    trace.write_text("t_s,force_n\n0,0\n0.1,1\n")
    before = ["analyze", str(trace)] if command == "analyze" else ["serve", "--no-browser"]
    if command == "serve":
        before += ["--data-dir", str(tmp_path / "data"), "--source", "sim"]
    code, err = run(capsys, *before, "--target", "25", "--tolerance", "30N")
    assert code == 2
    assert "--tolerance" in err and "band from -5 N" in err and "e.g. --tolerance 10%" in err


def test_environment_values_use_the_same_grammar() -> None:
    with pytest.raises(ConfigError, match=r"--tolerance '-5%' \(or PRESSHOLD_TOLERANCE\).*e\.g\."):
        load_settings({}, {"PRESSHOLD_TOLERANCE": "-5%"})
    with pytest.raises(ConfigError, match=r"--target 'abc' \(or PRESSHOLD_TARGET\)"):
        load_settings({}, {"PRESSHOLD_TARGET": "abc"})
    s = load_settings({}, {"PRESSHOLD_TARGET": "3kgf", "PRESSHOLD_TOLERANCE": "10%"})
    assert s.treatment_patch() == {"target_n": pytest.approx(29.41995), "tolerance_pct": 10.0}


def test_the_grammar() -> None:
    assert parse_target("30") == parse_target("30N") == parse_target(" 30 N ") == 30.0
    assert parse_target("3kgf") == pytest.approx(29.41995)
    assert parse_tolerance_spec("10%").newtons(25.0) == 2.5
    assert parse_tolerance_spec("3").newtons(25.0) == parse_tolerance_spec("3N").value == 3.0
    assert parse_seconds("30s") == parse_seconds("30") == 30.0
    assert parse_seconds("0", zero_ok=True) == 0.0
    for bad in ("", "nan", "inf", "1e999", "--5"):
        with pytest.raises(ConfigError):
            parse_target(bad)


def test_negative_values_reach_the_validator() -> None:
    assert join_option_values(["analyze", "f", "--tolerance", "-5%"]) == [
        "analyze",
        "f",
        "--tolerance=-5%",
    ]
    assert join_option_values(["serve", "--hold", "--no-browser"]) == [
        "serve",
        "--hold",
        "--no-browser",
    ]  # a missing value is still argparse's "expected one argument"


def test_the_installed_command_says_it_too() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "presshold", "serve", "--tolerance", "-5%"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "argument --tolerance: '-5%' is not a tolerance" in out.stderr
