"""Read force traces: our CSV and Parquet exports, two-column time/force CSVs, Serial Plotter logs.

What ``presshold analyze``, ``--source FILE`` replay and the dashboard's Import accept:

- **Parquet** (recognised by its ``PAR1`` magic): ``t_s`` and ``force_n`` (or ``force_kgf``/
  ``force_lbf``), plus the settings columns and metadata when PressHold wrote it.
- **CSV with a header** (``#`` comment lines first are allowed, ``# key,"value"`` ones are read as
  metadata): a time column — ``t_s``/``time_s``/``time``/``times``/``seconds``/``t`` in seconds,
  ``t_ms``/``time_ms``/``ms``/``millis`` in ms, ``t_us``/``time_us``/``us``/``micros`` in µs —
  and a force column ``force_n``/``force_kgf``/``force_lbf`` (or, when the file has just two
  columns, the other one, in newtons). Other columns (text ones too) are ignored, except the
  settings columns of our export, which are kept. The data is parsed by pyarrow's multi-threaded
  CSV reader; only when that fails does a careful pass run, to name the offending line.
- **Serial Plotter log** (anything else): the lines a sensor sent, as read by the live parser
  (:class:`~presshold.firmware_bridge.protocol.LineParser`): protocol-v1 ``t_us:…`` readings with
  their device clock, or plain Serial-Plotter lines, which need the sample rate (from a
  ``# presshold …`` hello line, or given).

Every error is a :class:`TraceFormatError` naming the file and the line or column at fault.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from presshold.errors import ConfigError, TraceFormatError
from presshold.signal import HoldParams
from presshold.signal.units import FORCE_UNITS
from presshold.traceio.columns import SETTINGS_COLUMNS, settings_runs
from presshold.traceio.csv_safe import parse_comment_row

ENCODING = "utf-8-sig"  # a spreadsheet may have saved a byte-order mark
FORCE_COLUMNS = {
    "force_n": FORCE_UNITS["N"],
    "force_kgf": FORCE_UNITS["kgf"],
    "force_lbf": FORCE_UNITS["lbf"],
}
TIME_COLUMNS = {
    **dict.fromkeys(("t_s", "time_s", "time", "times", "seconds", "t", "s"), 1.0),
    **dict.fromkeys(("t_ms", "time_ms", "ms", "millis"), 1e-3),
    **dict.fromkeys(("t_us", "time_us", "us", "micros"), 1e-6),
}
PLOTTER_UNITS = {"N": 1.0, "kgf": FORCE_UNITS["kgf"], "lbf": FORCE_UNITS["lbf"], "g": 0.00980665}
PARQUET_MAGIC = b"PAR1"
TEXT_META = ("session_id", "started_at", "ended_at", "label", "notes", "sensor", "imported_from")
"""Metadata rows whose value is text as written; the others are JSON (numbers, objects)."""


@dataclass
class Trace:
    """Samples in seconds and newtons, with what the file said about itself."""

    t_s: np.ndarray
    force_n: np.ndarray
    kind: str  # "parquet" | "csv" | "serial-plotter"
    meta: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, np.ndarray] | None = None  # SETTINGS_COLUMNS per sample, when present
    sensor: str | None = None


def read_trace(
    path: Path | str,
    *,
    rate_hz: float | None = None,
    name: str | None = None,
    settings: bool = True,
) -> Trace:
    """Read any supported trace; ``rate_hz`` times a Serial Plotter log without a clock.

    ``name`` is what error messages call the file (the uploaded name rather than a temp path);
    ``settings=False`` skips the settings columns (faster when the caller fixes the settings)."""
    path = Path(path)
    label = name or str(path)
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise TraceFormatError(f"{label}: cannot read: {exc.strerror or exc}") from None
    if magic == PARQUET_MAGIC:
        trace = _read_parquet(path, label, settings)
    else:
        trace = _read_text(path, label, rate_hz, settings)
    if trace.kind != "csv":  # CSV traces were checked with line numbers
        _check(trace.t_s, trace.force_n, label, lambda row: f"sample {row + 1}")
    return trace


_PARAM_KEYS = ("target_n", "tolerance_n", "hold_s", "grace_s", "min_hold_s")


def trace_settings(
    trace: Trace, fixed: HoldParams | None, label: str
) -> tuple[HoldParams, list[tuple[int, HoldParams]]]:
    """(starting params, later changes): the given ones, else the file's settings columns, else
    its ``settings`` metadata."""
    if fixed is not None:
        return fixed, []
    if trace.settings is not None:
        runs = settings_runs(trace.settings)
        if runs:
            return runs[0][1], runs[1:]
    s = trace.meta.get("settings")
    if isinstance(s, dict) and s.get("target_n") and s.get("tolerance_n"):
        kw = {k: float(v) for k, v in s.items() if k in _PARAM_KEYS and v is not None}
        return HoldParams(
            kw["target_n"],
            kw["tolerance_n"],
            kw.get("hold_s", 30.0),
            grace_s=kw.get("grace_s", 0.5),
            min_hold_s=kw.get("min_hold_s", 1.0),
        ), []
    raise ConfigError(f"{label}: the file carries no settings; give --target (e.g. --target 30)")


# ---------------------------------------------------------------- Parquet
def _read_parquet(path: Path, label: str, want_settings: bool) -> Trace:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from presshold.traceio import parquet_io

    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise TraceFormatError(f"{label}: not a readable Parquet file: {exc}") from None
    names = schema.names
    if "t_s" not in names:
        raise TraceFormatError(f"{label}: the Parquet file has no t_s column (has {names})")
    fcol = next((c for c in FORCE_COLUMNS if c in names), None)
    if fcol is None:
        raise TraceFormatError(
            f"{label}: the Parquet file has no force_n, force_kgf or force_lbf column"
        )
    with_settings = want_settings and parquet_io.has_settings(schema)
    wanted = ["t_s", fcol, *(SETTINGS_COLUMNS if with_settings else ())]
    try:
        cols = parquet_io.read_columns(path, wanted)
        meta = parquet_io.read_metadata(path)
    except (pa.ArrowException, OSError) as exc:
        raise TraceFormatError(f"{label}: cannot read the Parquet data: {exc}") from None
    for c in ("t_s", fcol):
        if cols[c].dtype.kind not in "fiu":
            raise TraceFormatError(f"{label}: column {c} is not numeric ({cols[c].dtype})")
    settings = {c: cols[c] for c in SETTINGS_COLUMNS} if SETTINGS_COLUMNS[0] in cols else None
    return Trace(
        np.asarray(cols["t_s"], float),
        np.asarray(cols[fcol], float) * FORCE_COLUMNS[fcol],
        "parquet",
        meta,
        settings,
        _sensor(meta),
    )


def _sensor(meta: dict[str, Any]) -> str | None:
    s = meta.get("sensor")
    return None if s is None else str(s)


# ---------------------------------------------------------------- text
@dataclass
class _Header:
    line: int  # 1-based line number of the header
    offset: int  # byte offset of the first data line
    names: list[str]
    time_col: int
    time_scale: float
    force_col: int
    force_scale: float
    meta: dict[str, Any]


def _read_text(path: Path, label: str, rate_hz: float | None, want_settings: bool) -> Trace:
    header = _find_header(path, label)
    if header is None:
        return _read_plotter(path, label, rate_hz)
    wanted = [header.time_col, header.force_col]
    has_settings = want_settings and all(c in header.names for c in SETTINGS_COLUMNS)
    if has_settings:
        wanted += [header.names.index(c) for c in SETTINGS_COLUMNS]
    data = _fast_columns(path, header, wanted)
    if data is None:
        data = _careful_columns(path, label, header, wanted)
    t = data[0] * header.time_scale
    f = data[1] * header.force_scale
    settings = dict(zip(SETTINGS_COLUMNS, data[2:], strict=True)) if has_settings else None
    if settings is not None and not all(np.all(np.isfinite(v)) for v in settings.values()):
        settings = None  # damaged settings columns: analyse with the given ones instead
    _check(t, f, label, lambda row: f"{_line_of_row(path, header.line, row)}")
    return Trace(t, f, "csv", header.meta, settings, _sensor(header.meta))


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


# ---------------------------------------------------------------- Serial Plotter logs
_MONITOR_STAMP = re.compile(rb"^\d\d:\d\d:\d\d\.\d{3} -> ")  # Arduino IDE "show timestamp"
_FATAL = ("garbage", "too_long", "non_finite")


def _read_plotter(path: Path, label: str, rate_hz: float | None) -> Trace:
    from presshold.firmware_bridge.protocol import LineParser

    parser = LineParser()
    t_us: list[int] = []
    timed: list[float] = []
    untimed: list[float] = []
    unit: str | None = None
    rate = rate_hz
    sensor: str | None = None
    comments: list[str] = []
    labels: set[str] = set()
    try:
        with path.open("rb") as fh:
            for number, line in enumerate(fh, 1):
                line = _MONITOR_STAMP.sub(b"", line)
                if not line.endswith(b"\n"):
                    line += b"\n"
                before = dict(parser.rejected)
                out = parser.feed(line)
                bad = [r for r in _FATAL if parser.rejected.get(r, 0) > before.get(r, 0)]
                if bad:
                    text = line.decode("ascii", "replace").strip()
                    why = {
                        "garbage": "not a reading",
                        "too_long": "line too long",
                        "non_finite": "not a finite number",
                    }[bad[0]]
                    raise TraceFormatError(
                        f"{label}:{number}: {why}: {text[:60]!r} (expected a CSV with a t_s "
                        "header, or Serial Plotter lines such as 'force:12.3')"
                    )
                for hello in out.hellos:
                    unit, sensor = hello.unit, hello.sensor
                    rate = rate or hello.rate_hz
                comments += out.comments
                t_us += out.t_us
                timed += out.values
                untimed += out.arrival_values
                if out.label:
                    labels.add(out.label)
    except OSError as exc:
        raise TraceFormatError(f"{label}: cannot read: {exc.strerror or exc}") from None
    if timed:
        t = (np.asarray(t_us, np.int64) - t_us[0]) / 1e6
        values = np.asarray(timed, float)
        unit = unit or ("N" if labels <= {"force_n"} else "raw")
    elif untimed:
        if not rate:
            raise TraceFormatError(
                f"{label}: Serial Plotter lines carry no time: give the sample rate in Hz "
                "(a '# presshold 1 … rate=80' hello line, or the rate option)"
            )
        values = np.asarray(untimed, float)
        t = np.arange(values.size) / float(rate)
        unit = unit or "N"
    else:
        raise TraceFormatError(f"{label}: no readings found (empty file or no numeric lines)")
    if unit not in PLOTTER_UNITS:
        raise TraceFormatError(
            f"{label}: the readings are raw sensor counts (unit={unit}); only calibrated "
            "values (N, kgf, lbf, g) can be analysed"
        )
    meta: dict[str, Any] = {"sensor": sensor} if sensor else {}
    if comments:
        meta["device_messages"] = comments[:100]
    return Trace(t, values * PLOTTER_UNITS[unit], "serial-plotter", meta, None, sensor)


# ---------------------------------------------------------------- checks
def _check(t: np.ndarray, f: np.ndarray, label: str, where) -> None:  # type: ignore[no-untyped-def]
    if t.size == 0:
        raise TraceFormatError(f"{label}: no samples")
    bad = np.flatnonzero(~np.isfinite(t))
    if bad.size:
        raise TraceFormatError(f"{label}:{where(int(bad[0]))}: t_s is not a finite number")
    back = np.flatnonzero(t[1:] < t[:-1])
    if back.size:
        raise TraceFormatError(
            f"{label}:{where(int(back[0]) + 1)}: t_s goes backwards (time must be sorted)"
        )
    badf = np.flatnonzero(~np.isfinite(f))
    if badf.size:
        raise TraceFormatError(f"{label}:{where(int(badf[0]))}: the force is not a finite number")


def _line_of_row(path: Path, header_line: int, row: int) -> int:
    for k, (number, _) in enumerate(_data_lines(path, header_line)):
        if k == row:
            return number
    return header_line
