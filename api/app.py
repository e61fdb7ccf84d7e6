"""The FastAPI application: the routers of :mod:`api.routes` over one :class:`~workspace.Workspace`."""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import errors, memory
from api.deps import ServerConfig
from api.limits import BodyLimit
from api.routes import ROUTERS
from core.settings import Settings, load_settings
from workspace import Workspace

if TYPE_CHECKING:
    from retrieval.index import PrecedentIndex


def create_app(
    settings: Settings,
    index: "PrecedentIndex | None" = None,
    require_auth: bool = False,
    cors_origins: list[str] | None = None,
    max_upload_mb: int = 20,
) -> FastAPI:
    """Build the app. ``require_auth`` is set by ``jixiao serve`` when listening beyond loopback;
    without ``index`` the workspace opens the precedent index on first use."""
    app = FastAPI(title="jixiao 绩效评价报告助手 API", version="1.0", description="评分、先例检索、起草、会话。所有数字由评分模块计算。")
    app.state.workspace = Workspace(settings, index)
    app.state.config = ServerConfig(require_auth=require_auth, max_upload_mb=max_upload_mb)
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=cors_origins, allow_methods=["*"], allow_headers=["*"])
    errors.install(app)
    app.add_middleware(BodyLimit, max_body=max_upload_mb * 1024 * 1024, max_upload_mb=max_upload_mb)
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(WorkerHeader)
    return app


#: The options of ``jixiao serve`` that its worker processes read (JSON), beside the usual JIXIAO_* settings.
SERVE_OPTIONS = "JIXIAO_SERVE"


def app_from_environment() -> FastAPI:
    """One worker of ``jixiao serve --workers N`` (a uvicorn factory): opens the index and its keyword view before serving."""
    if sys.platform.startswith("linux"):  # a worker ends with its supervisor, even one killed with kill -9
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    memory.tune_server_process()
    options = json.loads(os.environ.get(SERVE_OPTIONS) or "{}")
    app = create_app(load_settings(), require_auth=bool(options.get("require_auth")), cors_origins=options.get("cors") or None, max_upload_mb=int(options.get("max_upload_mb", 20)))
    app.state.workspace.index.warm()
    return app


class WorkerHeader:
    """Names the worker process that answered (``X-Jixiao-Worker: <pid>``), for load tests and operators.
    A 500 from an unhandled exception is sent outside it, by Starlette; :mod:`api.errors` names it there."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        pid = errors.worker_id().encode()

        async def named(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (errors.WORKER_HEADER.encode(), pid)]
            await send(message)

        await self.app(scope, receive, named)
