"""CSV cells that a spreadsheet shows as text, never runs as a formula (CSV injection).

A client's notes or a session label typed as ``=HYPERLINK(...)`` would otherwise execute when the
export is opened in Excel or LibreOffice. OWASP's rule: a cell starting with ``= + - @``, a tab or a
carriage return gets a leading ``'``; every text cell is quoted. Numbers are written as numbers (a
negative force stays ``-0.4``); only strings are neutralised.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """``value`` unchanged unless it is a string a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A whole CSV (text cells quoted, ``\\n`` line ends) with every string cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
    return out.getvalue()
