"""Parquet/MAT/FHIR exports and trace import, through the real server."""

from __future__ import annotations

import io
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pyarrow.parquet as pq
import pytest
import scipy.io
from support.csvfile import read_export
from support.server import ServerProcess

LABEL = "neck,=HYPERLINK(1)"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    data = tmp_path_factory.mktemp("srv")
    with ServerProcess(data, env={"PRESSHOLD_IMPORT_MAX_MB": "1"}) as srv:
        with httpx.Client(base_url=srv.url, timeout=30) as api:
            sid = api.post("/api/sessions", json={"label": LABEL}).json()["id"]
            time.sleep(1.5)
            api.post("/api/sessions/current/stop").raise_for_status()
        yield srv, sid


def test_binary_and_fhir_exports(served: tuple[ServerProcess, str]) -> None:
    from fhir.resources.R4B.bundle import Bundle

    srv, sid = served
    with httpx.Client(base_url=srv.url, timeout=30) as api:
        _, _, rows = read_export(api.get(f"/api/sessions/{sid}/export.csv").text)
        t = np.array([float(r[0]) for r in rows])
        r = api.get(f"/api/sessions/{sid}/export.parquet")
        assert (
            r.status_code == 200 and r.headers["content-type"] == "application/vnd.apache.parquet"
        )
        assert f'filename="presshold-{sid}.parquet"' in r.headers["content-disposition"]
        table = pq.read_table(io.BytesIO(r.content))
        assert np.array_equal(table.column("t_s").to_numpy(), t)
        r = api.get(f"/api/sessions/{sid}/export.mat")
        assert r.status_code == 200 and r.headers["content-type"] == "application/x-matlab-data"
        m = scipy.io.loadmat(io.BytesIO(r.content), simplify_cells=True)
        assert np.array_equal(m["t_s"], t) and m["meta"]["label"] == LABEL
        r = api.get(f"/api/sessions/{sid}/export.fhir.json")
        assert r.status_code == 200 and r.headers["content-type"] == "application/fhir+json"
        Bundle.model_validate(r.json())
        for fmt in ("parquet", "mat", "fhir.json"):
            assert api.get(f"/api/sessions/nope/export.{fmt}").status_code == 404


def _ids(api: httpx.Client) -> set[str]:
    return {s["id"] for s in api.get("/api/sessions").json()}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_an_export_imports_back_as_the_same_session(
    served: tuple[ServerProcess, str], fmt: str
) -> None:
    srv, sid = served
    with httpx.Client(base_url=srv.url, timeout=30) as api:
        body = api.get(f"/api/sessions/{sid}/export.{fmt}").content
        r = api.post("/api/sessions/import", params={"filename": f"visit.{fmt}"}, content=body)
        assert r.status_code == 201, r.text
        new = r.json()["id"]
        original, imported = (api.get(f"/api/sessions/{s}").json() for s in (sid, new))
        assert imported["imported_from"] == f"visit.{fmt}" and imported["label"] == LABEL
        assert imported["samples"] == original["samples"]
        assert imported["metrics"] == original["metrics"]
        assert imported["analysis"] == original["analysis"]
        rows = {s["id"]: s for s in api.get("/api/sessions").json()}
        assert rows[new]["imported_from"] == f"visit.{fmt}" and rows[sid]["imported_from"] is None
        for key in ("holds", "holds_completed", "alerts", "samples", "duration_s"):
            assert rows[new][key] == rows[sid][key], key  # the list counts the same events
        a, b = (read_export(api.get(f"/api/sessions/{s}/export.csv").text)[2] for s in (sid, new))
        assert [r[:2] for r in a] == [r[:2] for r in b]  # the very samples, bit for bit


def test_bad_and_oversized_files_leave_nothing_behind(
    served: tuple[ServerProcess, str],
) -> None:
    srv, _ = served
    with httpx.Client(base_url=srv.url, timeout=30) as api:
        before = _ids(api)
        temps_before = set(Path(tempfile.gettempdir()).glob("presshold-import-*"))
        bad = b"t_s,force_n\n0,1\n0.1,2\n0.2,two\n"
        r = api.post("/api/sessions/import", params={"filename": "bad.csv"}, content=bad)
        assert r.status_code == 422 and r.json()["detail"] == (
            "bad.csv:4: column 2 is not a number: 'two'"
        )
        cols = b"t_s,force_n,target_n,band_lo_n,band_hi_n,hold_s,grace_s,min_hold_s\n"
        zero = cols + b"0,1,0,0,0,30,0.5,1\n0.1,1,0,0,0,30,0.5,1\n"  # settings with no band
        r = api.post("/api/sessions/import", params={"filename": "zero.csv"}, content=zero)
        assert r.status_code == 422 and r.json()["detail"].startswith("zero.csv: target")
        r = api.post("/api/sessions/import", params={"filename": "x.parquet"}, content=b"PAR1xx")
        assert r.status_code == 422 and "x.parquet" in r.json()["detail"]
        big = b"t_s,force_n\n" + b"0.000000,1.000000\n" * 70_000  # 1.2 MB > the 1 MiB limit
        r = api.post("/api/sessions/import", params={"filename": "big.csv"}, content=big)
        assert r.status_code == 413 and "limit" in r.json()["detail"]

        def chunked() -> Iterator[bytes]:  # no Content-Length: the limit is enforced as it streams
            yield b"t_s,force_n\n"
            for _ in range(40):
                yield b"0.000000,1.000000\n" * 2000

        r = api.post("/api/sessions/import", params={"filename": "big.csv"}, content=chunked())
        assert r.status_code == 413
        assert _ids(api) == before  # nothing half-imported
    assert set(Path(tempfile.gettempdir()).glob("presshold-import-*")) <= temps_before
