"""Read CSV force traces for ``presshold analyze`` (file I/O kept out of ``presshold.signal``).

Format: ``#`` comment lines, a header naming ``t_s`` and one of ``force_n``/``force_kgf``/
``force_lbf``; other columns are ignored. A fast NumPy path parses the numeric body in one call;
only when it fails does a careful per-line pass run, to name the offending line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from presshold.errors import TraceFormatError
from presshold.signal.units import FORCE_UNITS

FORCE_COLUMNS = {
    "force_n": FORCE_UNITS["N"],
    "force_kgf": FORCE_UNITS["kgf"],
    "force_lbf": FORCE_UNITS["lbf"],
}


def read_trace(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Return (t_s, force_n) arrays from a CSV trace."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TraceFormatError(f"{path}: cannot read: {exc}") from None
    lines = text.splitlines()
    n = 0
    while n < len(lines) and (not lines[n].strip() or lines[n].lstrip().startswith("#")):
        n += 1
    if n == len(lines):
        raise TraceFormatError(f"{path}: no header line (expected t_s and force_n)")
    header = [h.strip() for h in lines[n].split(",")]
    if "t_s" not in header:
        raise TraceFormatError(f"{path}:{n + 1}: header has no t_s column")
    fcol = next((h for h in header if h in FORCE_COLUMNS), None)
    if fcol is None:
        raise TraceFormatError(f"{path}:{n + 1}: header has no force_n/force_kgf/force_lbf column")
    ti, fi = header.index("t_s"), header.index(fcol)
    try:
        data = np.loadtxt(
            lines[n + 1 :], delimiter=",", comments="#", usecols=(ti, fi), ndmin=2, dtype=float
        )
    except ValueError:
        _locate_bad_line(path, lines, n + 1, ti, fi)
        raise TraceFormatError(f"{path}: unreadable numeric data") from None
    t, f = data[:, 0], data[:, 1] * FORCE_COLUMNS[fcol]
    if t.size == 0:
        raise TraceFormatError(f"{path}: no samples after the header")
    bad = np.flatnonzero(np.diff(t) <= 0)
    if bad.size:
        raise TraceFormatError(f"{path}: t_s does not increase at sample {bad[0] + 2}")
    return t, f


def _locate_bad_line(path: Path, lines: list[str], first: int, ti: int, fi: int) -> None:
    for k in range(first, len(lines)):
        s = lines[k].strip()
        if not s or s.startswith("#"):
            continue
        cells = s.split(",")
        try:
            float(cells[ti])
            float(cells[fi])
        except (ValueError, IndexError):
            raise TraceFormatError(f"{path}:{k + 1}: not a number row: {s[:60]!r}") from None
