"""Parquet traces: the CSV's columns, typed, compressed, with its ``#`` metadata as file metadata.

Columns are float64 except ``state`` (dictionary-encoded strings: ``idle``/``under``/``in_band``/
``over``). Each metadata key is stored under its own name as JSON text, plus the whole set
under ``presshold`` (one JSON object), so pandas/polars/R users see plain key-value pairs and our
reader gets typed values back. One row group per block keeps writing in bounded memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from presshold.traceio.columns import (
    COLUMNS,
    SETTINGS_COLUMNS,
    STATE_NAMES,
    TraceBlock,
    settings_values,
)

META_KEY = b"presshold"
STATE_TYPE = pa.dictionary(pa.int8(), pa.string())
SCHEMA = pa.schema(
    [pa.field(c, STATE_TYPE if c == "state" else pa.float64(), nullable=False) for c in COLUMNS]
)
_STATE_DICT = pa.array(STATE_NAMES, pa.string())
ROW_GROUP_ROWS = 1 << 20


def _table(b: TraceBlock) -> pa.Table:
    n = len(b)
    codes = pa.array(np.asarray(b.state_code, np.int8), pa.int8())
    cols: list[pa.Array] = [
        pa.array(np.asarray(a, float)) for a in (b.t_s, b.force_n, b.raw, b.display_n, b.detect_n)
    ]
    cols.append(pa.DictionaryArray.from_arrays(codes, _STATE_DICT))
    cols += [pa.array(np.full(n, v, float)) for v in settings_values(b.params)]
    return pa.Table.from_arrays(cols, schema=SCHEMA)


def file_metadata(meta: dict[str, Any]) -> dict[bytes, bytes]:
    kv = {k.encode(): json.dumps(v, ensure_ascii=False).encode() for k, v in meta.items()}
    kv[META_KEY] = json.dumps(meta, ensure_ascii=False).encode()
    return kv


def write(sink: str | Path | Any, meta: dict[str, Any], blocks: Iterable[TraceBlock]) -> None:
    """Write ``blocks`` (and ``meta``) as one Parquet file (zstd) to a path or binary file."""
    schema = SCHEMA.with_metadata(file_metadata(meta))
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        pending: list[pa.Table] = []
        rows = 0
        for b in blocks:
            if len(b):
                pending.append(_table(b))
                rows += len(b)
            if rows >= ROW_GROUP_ROWS:
                writer.write_table(pa.concat_tables(pending), row_group_size=rows)
                pending, rows = [], 0
        if pending:
            writer.write_table(pa.concat_tables(pending), row_group_size=rows)


def open_file(source: str | Path | Any) -> pq.ParquetFile:
    """The file opened once (memory-mapped): its schema, metadata and columns come from it.
    ``ParquetFile.read`` rather than ``pq.read_table``: the latter goes through the dataset
    layer, whose import alone (with ``numpy.ma``) costs ~40 ms per process."""
    return pq.ParquetFile(source, memory_map=True)


def read_metadata(source: pq.ParquetFile) -> dict[str, Any]:
    """The metadata written by :func:`write` (empty for a Parquet file not made by PressHold)."""
    kv = source.schema_arrow.metadata or {}
    if META_KEY in kv:
        return dict(json.loads(kv[META_KEY]))
    return {}


def read_columns(source: pq.ParquetFile, columns: Iterable[str]) -> dict[str, np.ndarray]:
    """The named columns as NumPy arrays (``state`` as its strings); a numeric column without
    nulls in one chunk is handed over without a copy."""
    table = source.read(columns=list(columns), use_threads=True)
    out: dict[str, np.ndarray] = {}
    for name in table.column_names:
        chunked = table.column(name)
        col = chunked.chunk(0) if chunked.num_chunks == 1 else chunked.combine_chunks()
        if pa.types.is_dictionary(col.type):
            out[name] = np.asarray(col.dictionary_decode().to_pylist(), dtype=object)
        else:
            out[name] = col.to_numpy(zero_copy_only=False)
    return out


def has_settings(schema: pa.Schema) -> bool:
    return all(c in schema.names for c in SETTINGS_COLUMNS)
