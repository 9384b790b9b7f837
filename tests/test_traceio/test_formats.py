"""Every export format round-trips: export → read back → the same samples, settings and metadata,
and ``presshold analyze`` of the file equals the analysis of the stored session."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
import scipy.io

from presshold.cli.analyze_batch import analyse
from presshold.server import exports
from presshold.server.session_metrics import session_metrics
from presshold.server.store import SessionStore
from presshold.traceio.columns import COLUMNS, SETTINGS_COLUMNS
from presshold.traceio.read import read_trace

from .conftest import CHANGE_T, HELLO_SENSOR, LABEL, NOTES

Session = tuple[SessionStore, dict[str, Any]]


def _write(fmt: str, store: SessionStore, meta: dict[str, Any], path: Path) -> Path:
    blocks = store.iter_samples(meta["id"], chunk=1000)  # many blocks: streaming is exercised
    if fmt == "csv":
        path.write_text("".join(exports.csv_lines(meta, blocks)), encoding="utf-8")
    elif fmt == "parquet":
        with path.open("wb") as fh:
            exports.write_parquet(meta, blocks, fh)
    else:
        path.write_bytes(exports.mat_bytes(meta, blocks))
    return path


def _expected_settings(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Target and upper band edge per sample: switched at the first sample after the event."""
    after = t > CHANGE_T
    return np.where(after, 25.0, 30.0), np.where(after, 27.5, 33.0)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_reads_back_exactly_and_analyses_like_the_stored_session(
    session: Session, tmp_path: Path, fmt: str
) -> None:
    store, meta = session
    t, f, _ = store.samples(meta["id"])
    path = _write(fmt, store, meta, tmp_path / f"s.{fmt}")

    back = read_trace(path)
    assert np.array_equal(back.t_s, t) and np.array_equal(back.force_n, f)  # bit for bit
    assert back.settings is not None
    target, hi = _expected_settings(t)
    assert np.array_equal(back.settings["target_n"], target)
    assert np.array_equal(back.settings["band_hi_n"], hi)
    assert back.meta["label"] == LABEL and back.meta["sensor"] == HELLO_SENSOR
    # a CSV comment row is one line: line breaks become spaces there; Parquet keeps them
    assert back.meta["notes"] == (NOTES.replace("\r\n", " ") if fmt == "csv" else NOTES)
    assert back.meta["settings"]["target_n"] == 30.0 and back.meta["samples"] == t.size

    stored = session_metrics(store, meta, recording=False)["analysis"]
    result = analyse(path, None, None)  # the file's own settings, switching where they did
    assert result.error is None and result.changes == 1
    assert result.analysis is not None
    assert json.loads(json.dumps(exports.plain(result.analysis.to_dict()))) == stored
    assert stored["holds_completed"] == 2  # the 25 N hold counts only under the new target


def test_csv_has_no_formula_cells_under_any_separator(session: Session, tmp_path: Path) -> None:
    store, meta = session
    text = _write("csv", store, meta, tmp_path / "s.csv").read_text()
    for line in text.splitlines():
        for sep in (",", ";", "\t", "|"):
            for row in csv.reader(io.StringIO(line), delimiter=sep):
                for c in row:
                    s = c.lstrip(" ")
                    if s and s[0] in "=+-@\t\r\0":
                        float(s)  # only numbers (e.g. -0.12) may start with a sign
    header = next(ln for ln in text.splitlines() if not ln.startswith("#"))
    assert next(csv.reader([header])) == list(COLUMNS)


def test_parquet_is_typed_compressed_and_carries_the_metadata(
    session: Session, tmp_path: Path
) -> None:
    store, meta = session
    path = _write("parquet", store, meta, tmp_path / "s.parquet")
    f = pq.ParquetFile(path)
    schema = f.schema_arrow
    assert schema.names == list(COLUMNS)
    assert str(schema.field("state").type) == "dictionary<values=string, indices=int8, ordered=0>"
    assert all(str(schema.field(c).type) == "double" for c in COLUMNS if c != "state")
    assert f.metadata.row_group(0).column(0).compression == "ZSTD"
    kv = schema.metadata
    assert json.loads(kv[b"label"]) == LABEL and json.loads(kv[b"session_id"]) == meta["id"]
    states = pq.read_table(path, columns=["state"]).column("state").combine_chunks()
    assert set(states.dictionary.to_pylist()) == {"idle", "under", "in_band", "over"}
    assert {"idle", "in_band"} <= set(states.unique().dictionary_decode().to_pylist())


def test_mat_file_has_columns_events_marks_and_meta(session: Session, tmp_path: Path) -> None:
    store, meta = session
    t, f, raw = store.samples(meta["id"])
    path = _write("mat", store, meta, tmp_path / "s.mat")
    m = scipy.io.loadmat(path, simplify_cells=True)
    assert np.array_equal(m["t_s"], t) and np.array_equal(m["force_n"], f)
    assert np.array_equal(m["raw"], raw)
    target, hi = _expected_settings(t)
    assert np.array_equal(m["target_n"], target) and np.array_equal(m["band_hi_n"], hi)
    assert set(SETTINGS_COLUMNS) <= set(m)
    assert list(m["state_names"]) == ["idle", "under", "in_band", "over"]
    assert m["state"].dtype == np.uint8 and set(np.unique(m["state"])) <= {0, 1, 2, 3}
    # the CSV's state column, by name, equals the MAT codes
    csv_states = [r[5] for r in _csv_rows(store, meta, tmp_path)]
    assert [m["state_names"][k] for k in m["state"]] == csv_states
    assert m["meta"]["label"] == LABEL and m["meta"]["settings"]["target_n"] == 30.0
    kinds = [e["kind"] for e in m["events"]]
    assert kinds == [e["kind"] for e in meta["events"]] and "settings" in kinds
    mark = m["marks"]  # one mark: a struct
    assert mark["label"] == "=trap L" and mark["side"] == "L" and mark["t_s"] == 5.0


def _csv_rows(store: SessionStore, meta: dict[str, Any], tmp_path: Path) -> list[list[str]]:
    text = _write("csv", store, meta, tmp_path / "rows.csv").read_text()
    rows = list(csv.reader(ln for ln in text.splitlines() if not ln.startswith("#")))
    return rows[1:]


def test_fhir_bundle_is_valid_r4_and_carries_the_trace_and_metrics(session: Session) -> None:
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    store, meta = session
    metrics = session_metrics(store, meta, recording=False)
    doc = exports.fhir_bundle(meta, metrics, store.iter_samples(meta["id"], chunk=1000))
    bundle = Bundle.model_validate(doc)  # the library's validation, not ours
    device, obs = (e.resource for e in bundle.entry)
    assert device.get_resource_type() == "Device" and obs.get_resource_type() == "Observation"
    assert device.deviceName[0].name == HELLO_SENSOR
    assert obs.device.reference == bundle.entry[0].fullUrl
    trace = obs.component[0].valueSampledData
    assert trace.origin.code == "N" and trace.origin.system == "http://unitsofmeasure.org"
    assert float(trace.period) == 12.5  # 80 Hz, in milliseconds
    values = trace.data.split()
    t, f, _ = store.samples(meta["id"])
    assert len(values) == round((t[-1] - t[0]) / 0.0125) + 1
    gap = [i for i, v in enumerate(values) if v == "E"]  # the 2 s gap at 70-72 s, only there
    assert gap and t[0] + gap[0] * 0.0125 > 69.9 and t[0] + gap[-1] * 0.0125 < 72.1
    numbers = np.array([float(v) for v in values if v != "E"])
    assert abs(numbers.max() - f.max()) < 1.0  # the grid follows the recorded force
    by_text = {c.code.text: c for c in obs.component[1:]}
    m = metrics["metrics"]
    assert by_text["Holds"].valueInteger == m["holds"]
    assert by_text["Holds completed"].valueInteger == m["holds_completed"] == 2
    assert float(by_text["Time in band"].valueQuantity.value) == pytest.approx(
        m["time_in_band_s"], abs=1e-6
    )
    cv = by_text["Mean coefficient of variation of force over holds (steadiness)"]
    assert float(cv.valueQuantity.value) == pytest.approx(
        metrics["analysis"]["summary"]["mean_cv"], abs=1e-6
    )
    assert cv.valueQuantity.code == "1"
    band = by_text["Target band at the start of the session"].valueRange
    assert (float(band.low.value), float(band.high.value)) == (27.0, 33.0)
    assert obs.effectivePeriod.start is not None and obs.status == "final"
    broken = json.loads(json.dumps(doc))
    broken["entry"][1]["resource"]["component"][0]["valueSampledData"]["period"] = "fast"
    with pytest.raises(ValidationError):  # the validator does check
        Bundle.model_validate(broken)
