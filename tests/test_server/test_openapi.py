"""``/openapi.json`` documents the responses of the main resources, not only the request bodies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from support.server import ServerProcess

DOCUMENTED = {
    ("get", "/api/health"): ("Health", {"status", "connected", "storage_ok", "viewers"}),
    ("get", "/api/settings"): ("TreatmentSettings", {"target_n", "tolerance_n", "hold_s"}),
    ("put", "/api/settings"): ("TreatmentSettings", {"target_n", "unit", "probe_area_cm2"}),
    ("get", "/api/sessions"): ("SessionListItem", {"id", "started_at", "time_in_band_s"}),
    ("get", "/api/sessions/{sid}"): ("SessionDetail", {"events", "marks", "metrics", "analysis"}),
    ("get", "/api/sessions/{sid}/trace"): ("Trace", {"t_s", "min_n", "max_n", "decimated"}),
    ("get", "/api/calibration"): ("CalibrationView", {"offset_raw", "scale_n_per_raw", "points"}),
    ("post", "/api/calibration/fit"): ("CalibrationView", {"residuals_n", "nonlinearity_pct"}),
    ("post", "/api/tare"): ("CalibrationView", {"offset_raw", "unit"}),
}


def _response_ref(op: dict[str, Any]) -> str:
    ok = next(v for k, v in op["responses"].items() if k.startswith("2"))
    schema = ok["content"]["application/json"]["schema"]
    return str((schema.get("items") or schema)["$ref"]).rsplit("/", 1)[-1]


def test_openapi_has_response_schemas_for_the_main_resources(tmp_path: Path) -> None:
    with ServerProcess(tmp_path) as srv:
        spec = httpx.get(f"{srv.url}/openapi.json", timeout=10).json()
    schemas = spec["components"]["schemas"]
    for (method, path), (name, fields) in DOCUMENTED.items():
        op = spec["paths"][path][method]
        assert _response_ref(op) == name, (method, path)
        assert fields <= set(schemas[name]["properties"]), (name, schemas[name]["properties"])
    detail = schemas["SessionDetail"]["properties"]
    assert detail["metrics"]["$ref"].endswith("/SessionMetrics")
    assert {"t_s", "kind"} <= set(schemas["SessionEvent"]["properties"])
    assert schemas["SessionEvent"]["additionalProperties"] is True  # event data is open


def test_every_error_status_is_declared_with_the_real_error_body(tmp_path: Path) -> None:
    """FastAPI documents 422 as ``detail: [...]``; ours is ``{"detail": str, "errors": [...]}``.
    A client generated from the schema must parse every error the server sends."""
    from presshold.server.app import create_app
    from presshold.server.config import load_settings

    spec = create_app(load_settings({"sources": ("sim",), "data_dir": tmp_path}, {})).openapi()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    body = spec["components"]["schemas"]["ErrorResponse"]
    assert body["required"] == ["detail"] and body["properties"]["detail"]["type"] == "string"
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            errors = {k: v for k, v in op["responses"].items() if int(k) >= 400}
            assert {"401", "403", "413", "500"} <= set(errors), (method, path)
            for status, response in errors.items():
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorResponse"), (method, path, status)
    tare = spec["paths"]["/api/tare"]["post"]["responses"]
    assert {"409", "422", "507"} <= set(tare)
    assert "404" in spec["paths"]["/api/sessions/{sid}"]["get"]["responses"]
