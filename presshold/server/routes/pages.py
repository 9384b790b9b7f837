"""The dashboard's pages and static files (the pages speak only the documented API)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

router = APIRouter(include_in_schema=False)


def dashboard_dir() -> Path:
    return Path(str(resources.files("presshold.dashboard")))


def _page(name: str) -> FileResponse:
    return FileResponse(dashboard_dir() / name)


@router.get("/")
def index() -> FileResponse:
    return _page("index.html")


@router.get("/overview")
def overview() -> FileResponse:
    return _page("overview.html")


@router.get("/sessions")
def sessions_page() -> FileResponse:
    return _page("sessions.html")


@router.get("/sessions/{session_id}")
def session_page(session_id: str) -> FileResponse:
    return _page("session.html")


@router.get("/clients")
def clients_page() -> FileResponse:
    return _page("clients.html")


@router.get("/clients/{client_id}")
def client_page(client_id: str) -> FileResponse:
    return _page("client.html")


@router.get("/clients/{client_id}/visits/{session_id}")
def visit_page(client_id: str, session_id: str) -> FileResponse:
    return _page("visit.html")
