"""The FastAPI application: versioned routes under /v1, JSON errors, API keys, SSE streams, the web page."""

from __future__ import annotations

import errno
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.db import open_database
from api.keys import KeyStore
from api.sessions import SessionNotFound, SessionStore
from assistant.chat import answer
from assistant.drafting import SECTIONS, DraftingError, draft_case, stream_case
from assistant.models import Draft
from retrieval.errors import StoreError
from retrieval.models import SectionKind
from retrieval.search import SearchFilters
from scoring import Case, CaseFileError, parse_case, score_case

STATIC = Path(__file__).resolve().parent / "static"
DOC_ID = re.compile(r"^[\w\-.\u4e00-\u9fff（）()]{1,128}$")
UPLOAD_TYPES = {".docx", ".pdf", ".txt", ".md"}
#: Write failures that mean the data directory is full or read-only (answered 507).
STORAGE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        self.status, self.code, self.message, self.field = status, code, message, field


def _error(status: int, code: str, message: str, field: str | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message, **({"field": field} if field else {}), **extra}})


# ── request bodies ──────────────────────────────────────────────────────────
class CaseBody(BaseModel):
    case: dict[str, Any] = Field(description="案例（与案例文件相同的结构）")


class SearchBody(BaseModel):
    query: str = Field(min_length=1, max_length=2000)
    k: int = Field(default=5, ge=1, le=50)
    kinds: list[SectionKind] | None = None
    year_from: int | None = None
    year_to: int | None = None
    region: str | None = Field(default=None, max_length=100)
    doc_kind: Literal["report", "policy"] | None = None
    doc_ids: list[str] | None = None
    mode: Literal["hybrid", "dense", "keyword"] = "hybrid"


class DraftBody(CaseBody):
    section: Literal["problems", "suggestions", "analysis", "conclusion", "report"] = "problems"
    backend: Literal["template", "llm"] = "template"


class ExportBody(BaseModel):
    draft: Draft
    format: Literal["docx", "md"] = "docx"


class SessionBody(BaseModel):
    case: dict[str, Any] | None = None
    title: str | None = Field(default=None, max_length=200)


class MessageBody(BaseModel):
    content: str = Field(min_length=1, max_length=4000)


def create_app(settings: Any, index: Any = None, require_auth: bool = False, cors_origins: list[str] | None = None, max_upload_mb: int = 20) -> FastAPI:
    """Build the app. ``require_auth`` is set by ``jixiao serve`` when listening beyond loopback."""
    app = FastAPI(title="jixiao 绩效评价报告助手 API", version="1.0", description="评分、先例检索、起草、会话。所有数字由评分模块计算。")
    database = open_database(settings.home)
    keys, sessions = KeyStore(database), SessionStore(database)
    app.state.settings, app.state.index, app.state.require_auth = settings, index, require_auth
    max_body = max_upload_mb * 1024 * 1024
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=cors_origins, allow_methods=["*"], allow_headers=["*"])

    # ── errors: JSON with a code and a message, never a stack trace ──────────
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message, exc.field)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "请求无效"}
        field = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        return _error(422, "invalid_request", f"请求字段 {field or '（正文）'} 无效：{first.get('msg')}", field or None)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 415: "unsupported_type"}
        return _error(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> JSONResponse:
        return _error(503, "store_unavailable", str(exc))  # the message names the Chroma URL or the file, and what to do

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        return _error(500, "internal", f"服务器内部错误（{type(exc).__name__}）")

    app.add_middleware(_BodyLimit, max_body=max_body, max_upload_mb=max_upload_mb)

    # ── access ──────────────────────────────────────────────────────────────
    def owner(request: Request) -> str:
        token = request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix("Bearer ").strip() or None
        key = keys.verify(token)
        if key is not None:
            return f"key:{key.id}"
        if token is not None:
            raise ApiError(403, "forbidden", "API 密钥无效或已吊销")
        if app.state.require_auth:
            raise ApiError(401, "unauthorized", "需要 API 密钥：请在请求头 X-API-Key 或 Authorization: Bearer 中提供（jixiao keys create NAME）")
        return "local"

    def load(case: dict[str, Any]) -> Case:
        try:
            return parse_case(json.dumps(case, ensure_ascii=False, default=str), "case", "json")
        except CaseFileError as exc:
            first = exc.problems[0]
            raise ApiError(422, "invalid_case", "；".join(f"{p.field}: {p.message}" if p.field else p.message for p in exc.problems[:5]), first.field or None) from None

    def require_index() -> Any:
        if app.state.index is None:
            raise ApiError(503, "index_unavailable", "先例库不可用（服务启动时未打开）")
        return app.state.index

    def seen_by(who: str) -> Any:
        """The index as ``who`` sees it: without the documents other keys uploaded (search, passages, drafts, chat)."""
        if app.state.index is None:
            return None
        with database.connect() as db:
            hidden = {row["doc_id"] for row in db.execute("SELECT doc_id FROM documents_owner WHERE owner != ?", (who,))}
        return _OwnedView(app.state.index, hidden) if hidden else app.state.index

    # ── routes ──────────────────────────────────────────────────────────────
    @app.get("/health", tags=["system"])
    def health() -> dict[str, Any]:
        return {"status": "ok", "auth": app.state.require_auth, "index": app.state.index is not None}

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> FileResponse:
        try:
            path = (STATIC / name).resolve()
            found = path.parent == STATIC.resolve() and path.is_file()
        except (OSError, ValueError):  # a NUL byte or a name too long for the OS: a 404, not a 500
            found = False
        if not found:
            raise ApiError(404, "not_found", "文件不存在")
        return FileResponse(path)

    @app.get("/v1/sample-case", tags=["cases"])
    def sample_case(who: str = Depends(owner)) -> dict[str, Any]:
        from core.settings import BUNDLED_CORPUS
        from scoring.io import case_to_data, load_case

        return case_to_data(load_case(BUNDLED_CORPUS / "cases" / "sample_case.yaml"))

    @app.post("/v1/score", tags=["scoring"])
    def score(body: CaseBody, who: str = Depends(owner)) -> Response:
        result = score_case(load(body.case))
        return Response(result.model_dump_json(), media_type="application/json")

    @app.post("/v1/check", tags=["checking"])
    async def check_report_route(request: Request, who: str = Depends(owner)) -> Response:
        """核对报告：multipart 上传文件（字段 file），或 JSON {"text": 报告正文, "name": 文件名（.md 按 Markdown 读）}。"""
        import tempfile

        from checker import CheckError, check_report, check_text

        content_type = request.headers.get("content-type", "")
        try:
            if content_type.startswith("multipart/form-data"):
                form = await request.form()
                upload = form.get("file")
                if upload is None or isinstance(upload, str):
                    raise ApiError(422, "invalid_request", "请用字段 file 上传报告文件", "file")
                name = Path((upload.filename or "").replace("\\", "/")).name
                suffix = Path(name).suffix.lower()
                if suffix not in UPLOAD_TYPES:
                    raise ApiError(415, "unsupported_type", f"不支持的文件类型 {suffix or '（无扩展名）'}（可用：{'、'.join(sorted(UPLOAD_TYPES))}）", "file")
                data = await upload.read(max_body + 1)
                if len(data) > max_body:
                    raise ApiError(413, "too_large", f"文件超过上限 {max_upload_mb} MB", "file")
                with tempfile.TemporaryDirectory() as folder:
                    target = Path(folder) / f"report{suffix}"
                    target.write_bytes(data)
                    result = check_report(target)
                result = result.model_copy(update={"source": name})
            else:
                try:
                    body = await request.json()
                except ValueError:
                    raise ApiError(422, "invalid_request", "请求正文应为 JSON {\"text\": …} 或 multipart 文件上传") from None
                if not isinstance(body, dict) or not isinstance(body.get("text"), str):
                    raise ApiError(422, "invalid_request", "缺少报告正文 text", "text")
                name = body.get("name") if isinstance(body.get("name"), str) else "report.txt"
                result = check_text(body["text"], name)
        except CheckError as exc:
            raise ApiError(422, "unreadable_document", exc.reason) from None
        return Response(result.model_dump_json(), media_type="application/json")

    @app.post("/v1/precedents/search", tags=["precedents"])
    def search(body: SearchBody, who: str = Depends(owner)) -> list[dict[str, Any]]:
        require_index()
        index = seen_by(who)
        filters = SearchFilters(kinds=body.kinds, year_from=body.year_from, year_to=body.year_to, region=body.region, doc_kind=body.doc_kind, doc_ids=body.doc_ids)
        hits = index.search(body.query, k=body.k, filters=filters, mode=body.mode)
        return [hit.model_dump() for hit in hits]

    @app.get("/v1/passages/{doc_id}/{ordinal}", tags=["precedents"])
    def passage(doc_id: str, ordinal: int, who: str = Depends(owner)) -> dict[str, Any]:
        if not DOC_ID.match(doc_id):
            raise ApiError(422, "invalid_request", "文档编号含非法字符", "doc_id")
        require_index()
        hit = seen_by(who).passage(doc_id, ordinal)
        if hit is None:
            raise ApiError(404, "not_found", f"没有文档 {doc_id} 的第 {ordinal} 个片段")
        return hit.model_dump()

    @app.post("/v1/drafts", tags=["drafts"])
    def drafts(body: DraftBody, request: Request, who: str = Depends(owner)) -> Response:
        case = load(body.case)
        if body.section not in SECTIONS:
            raise ApiError(422, "invalid_request", "未知的章节", "section")
        if "text/event-stream" in request.headers.get("accept", ""):
            return StreamingResponse(_draft_events(case, body, seen_by(who)), media_type="text/event-stream")
        try:
            draft = draft_case(case, body.section, backend=body.backend, index=seen_by(who), settings=settings)
        except DraftingError as exc:
            raise ApiError(422, "invalid_request", str(exc), "backend") from None
        return Response(draft.model_dump_json(), media_type="application/json")

    def _draft_events(case: Case, body: DraftBody, index: Any) -> Iterator[str]:
        try:
            for event in stream_case(case, body.section, backend=body.backend, index=index, settings=settings):
                if event.type == "draft" and event.draft is not None:
                    draft = event.draft
                    citations = list({ref.display: ref.model_dump() for s in draft.sections for p in s.paragraphs for sent in p.sentences for ref in sent.citations}.values())
                    yield _sse("citations", citations)
                    yield _sse("guard", draft.guard.model_dump() if draft.guard else None)
                    yield _sse("draft", json.loads(draft.model_dump_json()))
                else:
                    yield _sse(event.type, {"text": event.text})
        except DraftingError as exc:
            yield _sse("error", {"code": "invalid_request", "message": str(exc)})
        yield _sse("done", {})

    @app.post("/v1/drafts/export", tags=["drafts"])
    def export(body: ExportBody, who: str = Depends(owner)) -> Response:
        from urllib.parse import quote

        from assistant.export_docx import export_docx, export_markdown

        section_names = {"problems": "存在的问题", "suggestions": "有关建议", "analysis": "指标分析", "conclusion": "评价结论", "report": "报告初稿"}
        name = f"{body.draft.project}-{section_names.get(body.draft.section, body.draft.section)}"
        if body.format == "md":
            return Response(export_markdown(body.draft), media_type="text/markdown; charset=utf-8", headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}.md"})
        return Response(
            export_docx(body.draft),
            media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}.docx"},
        )

    @app.post("/v1/documents", tags=["documents"], status_code=201)
    def upload(file: UploadFile = File(...), who: str = Depends(owner)) -> dict[str, Any]:
        index = require_index()
        name = Path((file.filename or "").replace("\\", "/")).name
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_TYPES:
            raise ApiError(415, "unsupported_type", f"不支持的文件类型 {suffix or '（无扩展名）'}（可用：{'、'.join(sorted(UPLOAD_TYPES))}）", "file")
        stem = Path(name).stem
        if not DOC_ID.match(stem) or stem.startswith("."):
            raise ApiError(422, "invalid_request", "文件名含非法字符", "file")
        data = file.file.read(max_body + 1)
        if len(data) > max_body:
            raise ApiError(413, "too_large", f"文件超过上限 {max_upload_mb} MB", "file")
        with database.connect() as db:
            row = db.execute("SELECT owner FROM documents_owner WHERE doc_id = ?", (stem,)).fetchone()
        if (row is not None and row["owner"] != who) or (row is None and stem in index.catalog()):
            raise ApiError(409, "conflict", f"文档编号 {stem} 已被占用，请改名后上传", "file")
        folder = Path(settings.home) / "uploads" / re.sub(r"[^\w]", "_", who)
        target = folder / name
        tmp = folder / f".{name}.part"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            tmp.replace(target)
        except OSError as exc:  # nothing half-written is left, whatever the failure
            tmp.unlink(missing_ok=True)
            if exc.errno not in STORAGE_ERRORS:
                raise
            raise ApiError(507, "insufficient_storage", f"服务器无法保存上传的文件（{exc.strerror or exc}）：数据目录磁盘已满或只读。请联系管理员释放空间或检查权限后重新上传。", "file") from None
        report = index.ingest([target])
        if report.failed:
            target.unlink(missing_ok=True)
            raise ApiError(422, "unreadable_document", report.failed[0][1], "file")
        with database.connect() as db:
            db.execute("INSERT OR REPLACE INTO documents_owner (doc_id, owner) VALUES (?, ?)", (stem, who))
        record = index.catalog()[stem]
        return {"doc_id": stem, "title": record.meta.title, "chunks": record.chunks, "status": "unchanged" if report.unchanged else "ingested"}

    @app.get("/v1/documents", tags=["documents"])
    def documents(who: str = Depends(owner)) -> list[dict[str, Any]]:
        index = require_index()
        with database.connect() as db:
            owners = {row["doc_id"]: row["owner"] for row in db.execute("SELECT doc_id, owner FROM documents_owner")}
        catalog = index.catalog()
        return [
            {**record.meta.model_dump(), "chunks": record.chunks, "uploaded": doc_id in owners}
            for doc_id, record in sorted(catalog.items())
            if owners.get(doc_id, who) == who
        ]

    @app.delete("/v1/documents/{doc_id}", tags=["documents"])
    def delete_document(doc_id: str, who: str = Depends(owner)) -> dict[str, Any]:
        if not DOC_ID.match(doc_id):
            raise ApiError(422, "invalid_request", "文档编号含非法字符", "doc_id")
        with database.connect() as db:
            row = db.execute("SELECT owner FROM documents_owner WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None or row["owner"] != who:
            raise ApiError(404, "not_found", f"没有可删除的文档 {doc_id}（只能删除自己上传的文档）")
        require_index().remove(doc_id)
        with database.connect() as db:
            db.execute("DELETE FROM documents_owner WHERE doc_id = ?", (doc_id,))
        return {"deleted": doc_id}

    # ── chat sessions ─────────────────────────────────────────────────────────
    @app.post("/v1/sessions", tags=["chat"], status_code=201)
    def new_session(body: SessionBody, who: str = Depends(owner)) -> dict[str, Any]:
        if body.case is not None:
            load(body.case)
        return {"id": sessions.create(who, body.case, body.title)}

    @app.get("/v1/sessions", tags=["chat"])
    def list_sessions(who: str = Depends(owner)) -> list[dict[str, Any]]:
        return sessions.list(who)

    @app.put("/v1/sessions/{session_id}/case", tags=["chat"])
    def set_case(session_id: str, body: CaseBody, who: str = Depends(owner)) -> dict[str, Any]:
        load(body.case)
        try:
            sessions.set_case(session_id, who, body.case)
        except SessionNotFound:
            raise ApiError(404, "not_found", "会话不存在") from None
        return {"id": session_id}

    @app.get("/v1/sessions/{session_id}", tags=["chat"])
    def get_session(session_id: str, who: str = Depends(owner)) -> dict[str, Any]:
        try:
            meta = sessions.get(session_id, who)
            history = sessions.history(session_id, who)
        except SessionNotFound:
            raise ApiError(404, "not_found", "会话不存在") from None
        return {**meta, "messages": [{"id": m.id, "role": m.role, "content": m.content, **m.payload, "created": m.created} for m in history]}

    @app.post("/v1/sessions/{session_id}/messages", tags=["chat"])
    def post_message(session_id: str, body: MessageBody, request: Request, who: str = Depends(owner)) -> Response:
        try:
            meta = sessions.get(session_id, who)
        except SessionNotFound:
            raise ApiError(404, "not_found", "会话不存在") from None
        case = load(meta["case"]) if meta["case"] else None
        user_id = sessions.add(session_id, who, "user", body.content)
        reply = answer(body.content, case, seen_by(who))
        payload = {"intent": reply.intent, "citations": [c.model_dump() for c in reply.citations], "figures": [f.model_dump() for f in reply.figures], "guard": reply.guard.model_dump() if reply.guard else None}
        if reply.draft is not None:
            payload["draft"] = json.loads(reply.draft.model_dump_json())
        reply_id = sessions.add(session_id, who, "assistant", reply.text, payload)
        if "text/event-stream" not in request.headers.get("accept", ""):
            return JSONResponse({"id": reply_id, "user_message_id": user_id, "role": "assistant", "content": reply.text, **payload})

        def events() -> Iterator[str]:
            yield _sse("intent", {"intent": reply.intent})
            for block in re.split(r"(?<=\n\n)", reply.text):
                if block:
                    yield _sse("delta", {"text": block})
            yield _sse("citations", payload["citations"])
            yield _sse("figures", payload["figures"])
            if payload["guard"] is not None:
                yield _sse("guard", payload["guard"])
            if "draft" in payload:
                yield _sse("draft", payload["draft"])
            yield _sse("done", {"id": reply_id})

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


class _OwnedView:
    """A precedent index minus the documents other keys uploaded: what one key may search, open and cite."""

    def __init__(self, index: Any, hidden: set[str]) -> None:
        self._index, self._hidden = index, hidden

    def search(self, query: str, k: int = 5, filters: SearchFilters | None = None, mode: str = "hybrid", fetch: int = 50) -> Any:
        filters = filters or SearchFilters()
        allowed = [doc_id for doc_id in (filters.doc_ids or self._index.catalog()) if doc_id not in self._hidden]
        if not allowed:  # an empty doc_ids list would mean "no restriction"
            return []
        return self._index.search(query, k=k, filters=filters.model_copy(update={"doc_ids": allowed}), mode=mode, fetch=fetch)

    def passage(self, doc_id: str, ordinal: int) -> Any:
        return None if doc_id in self._hidden else self._index.passage(doc_id, ordinal)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)


class _BodyLimit:
    """Refuse request bodies over the limit (413) before any route reads them.

    A body with a Content-Length is judged by it. A chunked body has none, and
    the routes would read all of it into memory before the limit or even the
    API key is looked at: it is read here, up to the limit, and then replayed.
    """

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
        await _error(413, "too_large", message)(scope, receive, send)


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"
