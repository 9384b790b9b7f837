"""CSV that a spreadsheet opens as data, never as formulas.

Why: a student's name or a trainer's note such as ``=HYPERLINK(...)`` or ``+1-2`` would run as a
formula when the export is opened in Excel or LibreOffice (CSV injection, OWASP). Every text
cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'``
and every cell is quoted, so the file reads back as the text that was written. Numbers are
written as numbers (a negative error of ``-1.5`` stays a number: only *text* is neutralised).

This is the trainer's own small writer; a shared helper in ``presshold.server.exports`` may
replace it (the interface is one function: rows in, CSV text out).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """One cell's text: numbers as numbers, ``None``/NaN empty, risky text prefixed with ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "" if isinstance(value, float) and not math.isfinite(value) else repr(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The whole CSV: every cell quoted and neutralised (module docstring)."""
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow([cell(h) for h in header])
    for row in rows:
        w.writerow([cell(v) for v in row])
    return buf.getvalue()
