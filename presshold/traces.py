"""Read CSV force traces for ``presshold analyze`` (file I/O kept out of ``presshold.signal``).

Format (the server's CSV export and anything like it): ``#`` comment lines, a header naming
``t_s`` and one of ``force_n``/``force_kgf``/``force_lbf``, then one row per sample; other
columns (text ones included) are ignored. The fast path hands the file to NumPy's C reader with
only the two needed columns; only when that fails does a careful line-by-line pass run, to name
the offending line.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from presshold.errors import TraceFormatError
from presshold.signal.units import FORCE_UNITS

FORCE_COLUMNS = {
    "force_n": FORCE_UNITS["N"],
    "force_kgf": FORCE_UNITS["kgf"],
    "force_lbf": FORCE_UNITS["lbf"],
}
ENCODING = "utf-8-sig"  # a spreadsheet may have saved a byte-order mark


def read_trace(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Return (t_s, force_n) arrays from a CSV trace; TraceFormatError names the bad line."""
    path = Path(path)
    header_line, ti, fi, unit = _read_header(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
            data = np.loadtxt(
                path,
                delimiter=",",
                comments="#",
                skiprows=header_line,
                usecols=(ti, fi),
                ndmin=2,
                dtype=float,
                encoding=ENCODING,
                quotechar='"',
            )
    except (ValueError, IndexError):
        _locate_bad_line(path, header_line, ti, fi)
        raise TraceFormatError(f"{path}: unreadable numeric data") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TraceFormatError(f"{path}: cannot read: {exc}") from None
    if data.shape[0] == 0:
        raise TraceFormatError(f"{path}:{header_line}: no samples after the header")
    t = np.ascontiguousarray(data[:, 0])
    f = data[:, 1] * unit
    back = np.flatnonzero(t[1:] < t[:-1])
    if back.size:
        line = _line_of_row(path, header_line, int(back[0]) + 1)
        raise TraceFormatError(f"{path}:{line}: t_s goes backwards (time must be sorted)")
    if not np.all(np.isfinite(t)):
        line = _line_of_row(path, header_line, int(np.flatnonzero(~np.isfinite(t))[0]))
        raise TraceFormatError(f"{path}:{line}: t_s is not a finite number")
    return t, f


def _read_header(path: Path) -> tuple[int, int, int, float]:
    """(1-based line number of the header, t_s column, force column, factor to newtons)."""
    try:
        with path.open(encoding=ENCODING, newline="") as fh:
            for number, line in enumerate(fh, 1):
                s = line.strip()
                if not s or s.startswith("#"):
                    continue
                header = [h.strip().strip('"') for h in s.split(",")]
                if "t_s" not in header:
                    raise TraceFormatError(
                        f"{path}:{number}: the header has no t_s column (got {s[:80]!r})"
                    )
                fcol = next((h for h in header if h in FORCE_COLUMNS), None)
                if fcol is None:
                    raise TraceFormatError(
                        f"{path}:{number}: the header has no force_n, force_kgf or force_lbf column"
                    )
                return number, header.index("t_s"), header.index(fcol), FORCE_COLUMNS[fcol]
    except (OSError, UnicodeDecodeError) as exc:
        raise TraceFormatError(f"{path}: cannot read: {exc}") from None
    raise TraceFormatError(f"{path}: empty file (expected a header with t_s and force_n)")


def _data_lines(path: Path, header_line: int):  # type: ignore[no-untyped-def]
    with path.open(encoding=ENCODING, newline="") as fh:
        for number, line in enumerate(fh, 1):
            if number <= header_line:
                continue
            s = line.split("#", 1)[0].strip()
            if s:
                yield number, s


def _locate_bad_line(path: Path, header_line: int, ti: int, fi: int) -> None:
    for number, s in _data_lines(path, header_line):
        cells = s.split(",")
        if len(cells) <= max(ti, fi):
            raise TraceFormatError(
                f"{path}:{number}: expected at least {max(ti, fi) + 1} columns: {s[:60]!r}"
            )
        for col in (ti, fi):
            try:
                float(cells[col].strip().strip('"'))
            except ValueError:
                raise TraceFormatError(
                    f"{path}:{number}: column {col + 1} is not a number: {cells[col][:30]!r}"
                ) from None


def _line_of_row(path: Path, header_line: int, row: int) -> int:
    for k, (number, _) in enumerate(_data_lines(path, header_line)):
        if k == row:
            return number
    return header_line
