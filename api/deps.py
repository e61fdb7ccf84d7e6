"""Typed dependencies of every route: the workspace, who is asking, the upload limit; and the SSE line format."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from api.errors import ApiError
from workspace import Workspace


@dataclass(frozen=True)
class ServerConfig:
    require_auth: bool
    max_upload_mb: int

    @property
    def max_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024


def get_workspace(request: Request) -> Workspace:
    workspace: Workspace = request.app.state.workspace
    return workspace


def get_config(request: Request) -> ServerConfig:
    config: ServerConfig = request.app.state.config
    return config


def get_owner(request: Request) -> str:
    """``key:<id>`` for a valid API key, ``local`` without one when the server listens on loopback only."""
    workspace, config = get_workspace(request), get_config(request)
    token = request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix("Bearer ").strip() or None
    key = workspace.keys.verify(token)
    if key is not None:
        return f"key:{key.id}"
    if token is not None:
        raise ApiError(403, "forbidden", "API 密钥无效或已吊销")
    if config.require_auth:
        raise ApiError(401, "unauthorized", "需要 API 密钥：请在请求头 X-API-Key 或 Authorization: Bearer 中提供（jixiao keys create NAME）")
    return "local"


WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]
ConfigDep = Annotated[ServerConfig, Depends(get_config)]
Owner = Annotated[str, Depends(get_owner)]


def sse(event: str, data: Any) -> str:
    """One server-sent event."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


def wants_stream(request: Request) -> bool:
    return "text/event-stream" in request.headers.get("accept", "")
