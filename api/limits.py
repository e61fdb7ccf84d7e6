"""Refuse request bodies over the limit (413) before any route reads them."""

from __future__ import annotations

from typing import Any

from api.errors import error_response


class BodyLimit:
    """ASGI middleware. A body with a Content-Length is judged by it. A chunked body has none, and
    the routes would read all of it into memory before the limit or even the API key is looked at:
    it is read here, up to the limit, and then replayed."""

    def __init__(self, app: Any, max_body: int, max_upload_mb: int) -> None:
        self.app, self.max_body, self.max_upload_mb = app, max_body, max_upload_mb

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            if length.isdigit() and int(length) > self.max_body:
                await self._refuse(scope, receive, send, f"请求体 {int(length) // 1024} KiB 超过上限 {self.max_upload_mb} MB")
                return
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body:
                await self._refuse(scope, receive, send, f"请求体超过上限 {self.max_upload_mb} MB")
                return
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Any, receive: Any, send: Any, message: str) -> None:
        await error_response(413, "too_large", message)(scope, receive, send)
