"""The FastAPI application: the routers of :mod:`api.routes` over one :class:`~workspace.Workspace`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import errors
from api.deps import ServerConfig
from api.limits import BodyLimit
from api.routes import ROUTERS
from core.settings import Settings
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
    return app
