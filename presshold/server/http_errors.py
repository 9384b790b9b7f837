"""Every error leaves the server as ``{"detail": "<one clear sentence>"}`` JSON.

FastAPI's own validation errors are a list of dicts; the dashboard shows ``detail`` to a person,
so it is flattened into a sentence (the list stays available as ``errors``).
"""

from __future__ import annotations

import logging

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
            msgs.append("request body is not valid JSON")
        elif err.get("type") == "missing" and tuple(err.get("loc", ())) == ("body",):
            msgs.append("request body is required")
        else:
            msgs.append(f"{_where(err.get('loc', ()))}: {err.get('msg', 'invalid')}")
    return "; ".join(dict.fromkeys(msgs)) or "invalid request"


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        return JSONResponse({"detail": validation_message(exc), "errors": errors}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
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
