"""The one way PressHold writes CSV: quoted text cells neutralised against formula injection.

Every CSV the project writes (the session export, ``presshold analyze`` tables, and any future
one) goes through :func:`text_cell` / :func:`csv_row` / :func:`comment_row`, so a label such as
``neck,=HYPERLINK(…)``, a note or a device's hello text can never become a live formula when the
file is opened in Excel, LibreOffice or Google Sheets.

The rules follow OWASP's CSV-injection advice:

- every text cell is wrapped in double quotes and its double quotes are doubled (RFC 4180), so
  commas and quotes stay inside the cell;
- a cell whose text starts — after optional spaces — with a formula trigger (``=``, ``+``, ``-``,
  ``@``, tab, carriage return, NUL) gets a ``'`` in front, which spreadsheets take as "this is
  text". The same is done after ``,``, ``;``, ``|`` and tab inside the text, because a
  spreadsheet that guesses another separator (``;`` in many European locales) would otherwise
  split the cell there and evaluate the rest;
- line breaks in a ``#`` metadata value become spaces (a comment must stay one line for
  ``numpy``/``pandas``/R ``comment="#"`` readers); the JSON, Parquet and MAT exports keep them.

Numbers are written as numbers (``-1.5`` is a value, not a formula). The escaping is reversible:
a run of ``'`` before a trigger gets one more, and :func:`restore_text` removes exactly one, so
our own readers give back the original text.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable
from typing import Any

TRIGGERS = "=+-@\t\r\0"
_SEPARATORS = ",;|\t"
# Start of the text or a separator, optional spaces, any quotes already there, then a trigger.
_NEUTRALISE = re.compile(rf"(^|[{_SEPARATORS}])( *)('*)(?=[{re.escape(TRIGGERS)}])")
_RESTORE = re.compile(rf"(^|[{_SEPARATORS}])( *)'('*)(?=[{re.escape(TRIGGERS)}])")
_LINE_BREAKS = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


def neutralise(text: str) -> str:
    """``text`` with a ``'`` before each formula trigger a spreadsheet could see as a cell start."""
    return _NEUTRALISE.sub(r"\1\2'\3", text)


def restore_text(text: str) -> str:
    """Inverse of :func:`neutralise` (for our readers; spreadsheets show the ``'`` as intended)."""
    return _RESTORE.sub(r"\1\2\3", text)


def one_line(text: str) -> str:
    """Line breaks to spaces: a ``#`` comment row must stay one physical line."""
    return _LINE_BREAKS.sub(" ", text)


def text_cell(text: str) -> str:
    """One quoted, neutralised CSV cell."""
    return '"' + neutralise(text).replace('"', '""') + '"'


def number_cell(value: float | int | None, fmt: str = "r") -> str:
    """A number as a CSV cell; ``None`` and non-finite values are an empty cell."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return repr(value) if fmt == "r" else format(value, fmt)


def cell(value: Any) -> str:
    """Any value: numbers as numbers, everything else as a quoted, neutralised text cell."""
    if value is None or isinstance(value, bool | int | float):
        return number_cell(value)
    if isinstance(value, str):
        return text_cell(one_line(value))
    return text_cell(one_line(json.dumps(value, ensure_ascii=False)))


def csv_row(values: Iterable[Any]) -> str:
    """One CSV line (``\\n``-terminated) of :func:`cell` values."""
    return ",".join(cell(v) for v in values) + "\n"


def header_row(names: Iterable[str]) -> str:
    """A header line; column names are ours (plain identifiers) but go through the same path."""
    return csv_row(names)


def comment_row(key: str, value: Any) -> str:
    """``# key,"value"``: skipped by ``comment="#"`` readers, two safe cells in a spreadsheet."""
    if value is None:
        return f"# {one_line(key)},\n"  # an empty cell: no value (read back as None)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return f"# {one_line(key)}," + text_cell(one_line(text)) + "\n"


def parse_comment_row(line: str) -> tuple[str, str] | None:
    """``(key, value)`` of a :func:`comment_row` line (or of the older ``# key: value``)."""
    body = line.rstrip("\r\n")
    if not body.startswith("#"):
        return None
    body = body[1:].lstrip()
    cells = next(csv.reader(io.StringIO(body)), [])
    if len(cells) == 2 and cells[0] and " " not in cells[0].strip():
        return cells[0].strip(), restore_text(cells[1])
    key, sep, value = body.partition(": ")
    if sep and key and " " not in key:
        return key, value
    return None
