"""Health, the web page and its static files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from api.deps import ConfigDep, WorkspaceDep
from api.errors import ApiError

STATIC = Path(__file__).resolve().parent.parent / "static"

router = APIRouter()


@router.get("/health", tags=["system"])
def health(config: ConfigDep, workspace: WorkspaceDep) -> dict[str, Any]:
    return {"status": "ok", "auth": config.require_auth, "index": workspace.index_open}


@router.get("/", include_in_schema=False)
def page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    return Response(status_code=204)  # no icon; a 204 keeps browsers from logging a 404


@router.get("/static/{name}", include_in_schema=False)
def static(name: str) -> FileResponse:
    try:
        path = (STATIC / name).resolve()
        found = path.parent == STATIC.resolve() and path.is_file()
    except (OSError, ValueError):  # a NUL byte or a name too long for the OS: a 404, not a 500
        found = False
    if not found:
        raise ApiError(404, "not_found", "文件不存在")
    return FileResponse(path)
