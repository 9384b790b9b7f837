"""CSV traces with a header: our export, and time/force CSVs from other tools.

The header names a time column (unit from its name) and a force column; ``#`` rows before it
are comments, and ``# key,"value"`` ones are metadata. The data is parsed by pyarrow's
multi-threaded CSV reader (only the needed columns are converted); when that fails (a comment
line inside the data, a short row, a bad number) a careful NumPy pass names the line and column.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from presshold.errors import TraceFormatError
from presshold.signal.units import FORCE_UNITS
from presshold.traceio.columns import SETTINGS_COLUMNS
from presshold.traceio.csv_safe import parse_comment_row
from presshold.traceio.trace import Trace, check_samples, sensor_of

ENCODING = "utf-8-sig"  # a spreadsheet may have saved a byte-order mark
FORCE_COLUMNS = {
    "force_n": FORCE_UNITS["N"],
    "force_kgf": FORCE_UNITS["kgf"],
    "force_lbf": FORCE_UNITS["lbf"],
}
TIME_COLUMNS: dict[str, float | None] = {
    **dict.fromkeys(("t_s", "time_s", "seconds", "s"), 1.0),
    **dict.fromkeys(("t_ms", "time_ms", "ms", "millis"), 1e-3),
    **dict.fromkeys(("t_us", "time_us", "us", "micros"), 1e-6),
    **dict.fromkeys(("time", "times", "t", "timestamp"), None),  # unit inferred from the steps
}
TEXT_META = ("session_id", "started_at", "ended_at", "label", "notes", "sensor", "imported_from")
"""Metadata rows whose value is text as written; the others are JSON (numbers, objects)."""


@dataclass
class _Header:
    line: int  # 1-based line number of the header
    offset: int  # byte offset of the first data line
    names: list[str]
    time_col: int
    time_scale: float | None  # None: infer from the sample steps (see _time_scale)
    force_col: int
    force_scale: float
    meta: dict[str, Any]


def read_csv_trace(path: Path, label: str, want_settings: bool) -> Trace | None:
    """The trace of a CSV with a header; None when the file has none (a Serial Plotter log)."""
    header = _find_header(path, label)
    if header is None:
        return None
    wanted = [header.time_col, header.force_col]
    has_settings = want_settings and all(c in header.names for c in SETTINGS_COLUMNS)
    if has_settings:
        wanted += [header.names.index(c) for c in SETTINGS_COLUMNS]
    data = _fast_columns(path, header, wanted)
    if data is None:
        data = _careful_columns(path, label, header, wanted)
    t = _scaled(data[0], header.time_scale or _time_scale(data[0]))
    f = _scaled(data[1], header.force_scale)
    settings = dict(zip(SETTINGS_COLUMNS, data[2:], strict=True)) if has_settings else None
    if settings is not None and not all(np.all(np.isfinite(v)) for v in settings.values()):
        settings = None  # damaged settings columns: analyse with the given ones instead
    check_samples(t, f, label, lambda row: f"{_line_of_row(path, header.line, row)}")
    return Trace(t, f, "csv", header.meta, settings, sensor_of(header.meta))


def _scaled(x: np.ndarray, scale: float) -> np.ndarray:
    """In seconds or newtons; columns already in them are not copied (29 MB per hour at 1 kHz)."""
    return x if scale == 1.0 else x * scale


def _time_scale(t: np.ndarray) -> float:
    """Seconds per unit of a clock column whose name does not say: a sensor samples at 1 Hz to
    10 kHz, so a median step under 0.5 is seconds, under 500 milliseconds (a sketch printing
    ``millis()``), else microseconds (``micros()``)."""
    steps = np.diff(t[:10_001])
    step = float(np.median(steps[steps > 0])) if np.any(steps > 0) else 0.0
    return 1.0 if step < 0.5 else 1e-3 if step < 500 else 1e-6


def _json_value(text: str) -> Any:
    import json

    if text == "":
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _find_header(path: Path, label: str) -> _Header | None:
    """The header of a CSV trace, or None when the file looks like a Serial Plotter log."""
    meta: dict[str, Any] = {}
    offset = 0
    try:
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, 1):
                offset += len(raw)
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
                s = line.strip()
                if not s:
                    continue
                if s.startswith("#"):
                    kv = parse_comment_row(s)
                    if kv is not None:
                        key, value = kv
                        meta[key] = (value or None) if key in TEXT_META else _json_value(value)
                    elif s.lstrip("#").split()[:1] == ["presshold"] and " 1 " in s:
                        return None  # a device's hello: a Serial Plotter / protocol log
                    continue
                return _parse_header(s, number, offset, meta, label)
    except UnicodeDecodeError:
        return None  # not text we wrote: let the log parser name the line
    except OSError as exc:
        raise TraceFormatError(f"{label}: cannot read: {exc.strerror or exc}") from None
    raise TraceFormatError(f"{label}: empty file (expected a header with t_s and force_n)")


def _parse_header(
    s: str, number: int, offset: int, meta: dict[str, Any], label: str
) -> _Header | None:
    names = [h.strip().strip('"').strip() for h in s.split(",")]
    lower = [n.lower() for n in names]
    tcol = next((i for i, n in enumerate(lower) if n in TIME_COLUMNS), None)
    if tcol is None:
        if ":" in s or _numeric(names[0].split()[0] if names[0] else ""):
            return None  # "force:12.3 raw:4" or "12.3 4": a Serial Plotter log
        raise TraceFormatError(
            f"{label}:{number}: the header has no t_s (or time) column (got {s[:80]!r})"
        )
    fcol = next((i for i, n in enumerate(lower) if n in FORCE_COLUMNS), None)
    scale = FORCE_COLUMNS[lower[fcol]] if fcol is not None else 1.0
    if fcol is None and len(names) == 2 and not lower[1 - tcol].startswith("force_"):
        fcol = 1 - tcol  # a two-column time/force file: the other column, in newtons
    if fcol is None:
        raise TraceFormatError(
            f"{label}:{number}: the header has no force_n, force_kgf or force_lbf column"
        )
    return _Header(number, offset, names, tcol, TIME_COLUMNS[lower[tcol]], fcol, scale, meta)


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _fast_columns(path: Path, h: _Header, wanted: list[int]) -> list[np.ndarray] | None:
    """pyarrow's multi-threaded CSV reader on the data lines; None if anything is unusual."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = [f"c{i}" for i in range(len(h.names))]
    include = [names[i] for i in wanted]
    try:
        with pa.memory_map(str(path)) as src:
            src.seek(h.offset)
            table = pcsv.read_csv(
                src,
                read_options=pcsv.ReadOptions(column_names=names, block_size=1 << 22),
                convert_options=pcsv.ConvertOptions(
                    include_columns=include,
                    column_types=dict.fromkeys(include, pa.float64()),
                    strings_can_be_null=False,
                ),
            )
    except (pa.ArrowException, OSError, ValueError):
        return None
    cols = [table.column(n) for n in include]
    if any(c.null_count for c in cols):
        return None
    return [c.to_numpy() for c in cols]


def _careful_columns(path: Path, label: str, h: _Header, wanted: list[int]) -> list[np.ndarray]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
            data = np.loadtxt(
                path,
                delimiter=",",
                comments="#",
                skiprows=h.line,
                usecols=wanted,
                ndmin=2,
                dtype=float,
                encoding=ENCODING,
                quotechar='"',
            )
    except (ValueError, IndexError):
        _locate_bad_line(path, label, h.line, wanted)
        raise TraceFormatError(f"{label}: unreadable numeric data") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TraceFormatError(f"{label}: cannot read: {exc}") from None
    if data.shape[0] == 0:
        raise TraceFormatError(f"{label}:{h.line}: no samples after the header")
    return [np.ascontiguousarray(data[:, i]) for i in range(len(wanted))]


def _data_lines(path: Path, header_line: int):  # type: ignore[no-untyped-def]
    with path.open(encoding=ENCODING, errors="replace", newline="") as fh:
        for number, line in enumerate(fh, 1):
            if number <= header_line:
                continue
            s = line.split("#", 1)[0].strip()
            if s:
                yield number, s


def _locate_bad_line(path: Path, label: str, header_line: int, wanted: list[int]) -> None:
    need = max(wanted) + 1
    for number, s in _data_lines(path, header_line):
        cells = s.split(",")
        if len(cells) < need:
            raise TraceFormatError(
                f"{label}:{number}: expected at least {need} columns: {s[:60]!r}"
            )
        for col in wanted:
            try:
                float(cells[col].strip().strip('"'))
            except ValueError:
                raise TraceFormatError(
                    f"{label}:{number}: column {col + 1} is not a number: {cells[col][:30]!r}"
                ) from None


def _line_of_row(path: Path, header_line: int, row: int) -> int:
    for k, (number, _) in enumerate(_data_lines(path, header_line)):
        if k == row:
            return number
    return header_line
