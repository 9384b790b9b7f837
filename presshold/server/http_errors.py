"""Every error leaves the server as ``{"detail": "<one clear sentence>"}`` JSON — and the
OpenAPI schema says so, for every error status each operation can return.

FastAPI's own validation errors are a list of dicts; the dashboard shows ``detail`` to a person,
so it is flattened into a sentence (the list stays available as ``errors``). FastAPI documents
its default 422 body (``detail`` a list) instead, so a client generated from ``/openapi.json``
would fail on every error: :func:`declare_errors` rewrites the schema at app level (by path and
method, the API's contract), so it holds however the routes are organised.
"""

from __future__ import annotations

import fnmatch
import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from presshold.errors import (
    CalibrationError,
    ConfigError,
    Conflict,
    NotFound,
    NotSaved,
    PressHoldError,
    StorageError,
)

log = logging.getLogger("presshold.server")

NOT_JSON = "request body is not valid JSON"
STATUS_FOR = {
    NotFound: 404,
    Conflict: 409,
    CalibrationError: 409,
    ConfigError: 422,
    StorageError: 503,
    NotSaved: 507,
}


def _where(loc: tuple[object, ...] | list[object]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "request body"


def validation_message(exc: RequestValidationError) -> str:
    msgs = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            msgs.append(NOT_JSON)
        elif err.get("type") == "missing" and tuple(err.get("loc", ())) == ("body",):
            msgs.append("request body is required")
        else:
            msgs.append(f"{_where(err.get('loc', ()))}: {err.get('msg', 'invalid')}")
    return "; ".join(dict.fromkeys(msgs)) or "invalid request"


ERROR_SCHEMA = {
    "title": "ErrorResponse",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "one clear sentence for a person"},
        "errors": {
            "type": "array",
            "description": "validation errors only: each failing field",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"},
                                                                 {"type": "integer"}]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}  # fmt: skip
ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}

EVERY_OPERATION = {
    401: "access token missing or wrong (only when the server requires one)",
    403: "cross-origin request, or a Host name this server does not answer to",
    413: "request body too large",
    500: "a bug: the server logged it",
}
ERRORS_BY_OPERATION: list[tuple[str, dict[int, str]]] = [
    ("* /api/sessions*", {503: "the session store cannot be read"}),
    ("* *{sid}*", {404: "no such session"}),
    ("POST /api/sessions", {507: "the client was chosen (presets applied) but not saved"}),
    ("POST /api/sessions/current/stop", {409: "no session is recording"}),
    ("DELETE /api/sessions/{sid}", {409: "the session is still recording"}),
    ("POST /api/sessions/{sid}/marks", {409: "the session is not the recording one"}),
    ("PUT /api/settings", {507: "settings applied but not saved"}),
    ("POST /api/tare", {409: "no sensor, or not steady", 507: "calibration not saved"}),
    ("POST /api/calibration/*", {409: "no sensor, or not steady", 507: "calibration not saved"}),
    ("* /api/stations/{station_id}*", {404: "no such station"}),
    ("* /api/students*", {503: "the trainer store cannot be read or written"}),
    ("* /api/students/{student_id}*", {404: "no such student"}),
    ("* /api/protocols*", {503: "the protocol library cannot be read or written"}),
    ("* /api/protocols/{protocol_id}*", {404: "no such protocol"}),
    ("POST /api/protocols/import", {422: "not a valid protocol file (the field and why)"}),
    ("PUT /api/protocols/{protocol_id}", {409: "a built-in protocol is read-only"}),
    ("DELETE /api/protocols/{protocol_id}", {409: "a built-in protocol is read-only"}),
    ("* /api/runs/{run_id}*", {404: "no such run", 503: "the trainer store cannot be read"}),
    (
        "POST /api/stations/{station_id}/run*",
        {409: "a run is (or is not) in progress, or no sensor", 503: "the trainer store failed"},
    ),
    ("* /api/references*", {503: "the trainer store cannot be read or written"}),
    ("* /api/references/{ref_id}", {404: "no such reference"}),
    ("POST /api/references", {404: "no such session"}),
    ("* /api/clients*", {503: "the client records cannot be read or written"}),
    ("* /api/clients/{client_id}*", {404: "no such client"}),
    ("POST /api/clients", {507: "the client book could not be saved"}),
    ("PATCH /api/clients/{client_id}", {507: "the client book could not be saved"}),
    (
        "DELETE /api/clients/{client_id}",
        {409: "a session of this client is recording", 507: "not saved"},
    ),
    ("POST /api/sessions/{sid}/discomfort", {409: "the session is not the recording one"}),
    ("POST /api/sessions/{sid}/thresholds", {409: "not the recording session, or no pressure"}),
    ("* /api/stations/{station_id}/patient-signal", {409: "no session to record it on"}),
    ("PUT /api/stations/{station_id}/simulated-client", {409: "not a simulated station"}),
    ("PATCH /api/stations/{station_id}", {404: "no such station, student or client"}),
    (
        "PATCH /api/stations/{station_id}",
        {507: "renamed, student assigned or client chosen, but not saved"},
    ),
    ("PATCH /api/stations/{station_id}", {503: "the student or client records cannot be read"}),
]
STATION_SCOPED = {404: "no such station (`?station=`)"}
"""Every operation that takes ``?station=ID`` answers 404 for an unknown one."""
"""Errors particular to some operations, by ``"METHOD /path"`` pattern (fnmatch)."""


def declare_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Give every operation of ``schema`` the error responses it can really return, all as
    :data:`ERROR_SCHEMA` (including 422, which FastAPI documents with its own model)."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorResponse"] = ERROR_SCHEMA
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            responses = op.setdefault("responses", {})
            errors = dict(EVERY_OPERATION)
            if "422" in responses or op.get("parameters") or op.get("requestBody"):
                errors[422] = "the request is invalid (`errors` names each field)"
            if any(p.get("name") == "station" for p in op.get("parameters", [])):
                errors.update(STATION_SCOPED)
            for pattern, extra in ERRORS_BY_OPERATION:
                if fnmatch.fnmatchcase(f"{method.upper()} {path}", pattern):
                    errors.update(extra)
            for status, why in sorted(errors.items()):
                responses[str(status)] = {
                    "description": why,
                    "content": {"application/json": {"schema": ERROR_REF}},
                }
    text = json.dumps(schema)
    for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's, now unreferenced
        if f'"#/components/schemas/{unused}"' not in text:
            schemas.pop(unused, None)
    return schema


def install(app: FastAPI) -> None:
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            declare_errors(default_openapi())
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        return JSONResponse({"detail": validation_message(exc), "errors": errors}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
            # FastAPI's answer to a body that is not UTF-8: malformed JSON like any other (422)
            error = {"loc": ["body"], "msg": "not UTF-8 text", "type": "json_invalid"}
            return JSONResponse({"detail": NOT_JSON, "errors": [error]}, 422)
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return JSONResponse({"detail": detail}, exc.status_code, headers=exc.headers)

    @app.exception_handler(PressHoldError)
    async def presshold_error(_: Request, exc: PressHoldError) -> JSONResponse:
        status = next((s for t, s in STATUS_FOR.items() if isinstance(exc, t)), 400)
        return JSONResponse({"detail": str(exc)}, status)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": f"internal error ({type(exc).__name__}); see the log"}, 500)
