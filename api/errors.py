"""Errors as JSON — ``{"error": {"code", "message", "field"}}`` — with a status per kind, never a stack trace."""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from retrieval.errors import StoreError
from workspace import errors as ws

#: The HTTP status of each kind of workspace refusal.
STATUS: dict[type[ws.WorkspaceError], int] = {
    ws.InvalidInput: 422,
    ws.InvalidCase: 422,
    ws.UnreadableDocument: 422,
    ws.NotFound: 404,
    ws.Conflict: 409,
    ws.TooLarge: 413,
    ws.UnsupportedType: 415,
    ws.StorageFull: 507,
    ws.IndexUnavailable: 503,
}


#: Names the worker process that answered: added to every response by :class:`api.app.WorkerHeader`, and here
#: to the 500 of an unhandled exception, which Starlette sends from outside every middleware.
WORKER_HEADER = "x-jixiao-worker"


def worker_id() -> str:
    return str(os.getpid())


class ApiError(Exception):
    """A refusal that only the HTTP layer knows about (authentication)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        self.status, self.code, self.message, self.field = status, code, message, field


def error_response(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message, **({"field": field} if field else {})}})


def status_of(exc: ws.WorkspaceError) -> int:
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 422


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the JSON error shape."""

    @app.exception_handler(ws.WorkspaceError)
    async def _workspace(request: Request, exc: ws.WorkspaceError) -> JSONResponse:
        return error_response(status_of(exc), exc.code, exc.message, exc.field)

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.field)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        first: dict[str, Any] = dict(exc.errors()[0]) if exc.errors() else {"loc": (), "msg": "请求无效"}
        field = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        return error_response(422, "invalid_request", f"请求字段 {field or '（正文）'} 无效：{first.get('msg')}", field or None)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 415: "unsupported_type"}
        return error_response(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> JSONResponse:
        return error_response(503, "store_unavailable", str(exc))  # the message names the Chroma URL or the file, and what to do

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        response = error_response(500, "internal", f"服务器内部错误（{type(exc).__name__}），请稍后重试；如反复出现，请把时间告知管理员查看服务日志。")
        response.headers[WORKER_HEADER] = worker_id()
        return response
