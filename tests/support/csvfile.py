"""Read a PressHold CSV export the way a researcher's tools would (the ``csv`` module)."""

from __future__ import annotations

import csv
import io

from presshold.traceio.csv_safe import parse_comment_row


def read_export(text: str) -> tuple[dict[str, str], list[str], list[list[str]]]:
    """(``#`` metadata by key, header, data rows as text cells)."""
    comments: dict[str, str] = {}
    body: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("#"):
            kv = parse_comment_row(line)
            assert kv is not None, f"unparseable metadata row {line!r}"
            comments[kv[0]] = kv[1]
        else:
            body.append(line)
    rows = list(csv.reader(io.StringIO("".join(body))))
    return comments, rows[0], rows[1:]
