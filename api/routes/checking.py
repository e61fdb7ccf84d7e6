"""Checking a report: a multipart upload or a JSON body with its text."""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import ConfigDep, Owner, WorkspaceDep
from api.errors import ApiError

router = APIRouter(tags=["checking"])


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@router.post("/v1/check")
async def check_report(
    request: Request, workspace: WorkspaceDep, config: ConfigDep, who: Owner, annotate: Literal["docx"] | None = None, lines: bool = False
) -> Response:
    """核对报告：multipart 上传文件（字段 file），或 JSON {"text": 报告正文, "name": 文件名（.md 按 Markdown 读）}。

    ``?annotate=docx`` 时返回审核稿：原报告（.txt/.md/.pdf 先转为 Word）上每条问题一个批注，机械更正为修订。
    ``?lines=true`` 时结果另含报告正文逐行（lines、first_line），各处原文的行号即按它计，供编辑器或网页显示原文、定位。"""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        name, data = await _uploaded_file(request, config.max_bytes)
        if annotate is not None:
            return _docx(*workspace.annotate_upload(name, data, config.max_bytes))
        result = workspace.check_upload(name, data, config.max_bytes, lines)
    else:
        text, name = await _text_body(request)
        if annotate is not None:
            return _docx(*workspace.annotate_text(text, name))
        result = workspace.check_text(text, name, lines)
    return Response(result.model_dump_json(), media_type="application/json")


def _docx(download: str, content: bytes) -> Response:
    return Response(content, media_type=DOCX, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(download)}"})


async def _uploaded_file(request: Request, max_bytes: int) -> tuple[str, bytes]:
    upload = (await request.form()).get("file")
    if upload is None or isinstance(upload, str):
        raise ApiError(422, "invalid_request", "请用字段 file 上传报告文件", "file")
    return upload.filename or "", await upload.read(max_bytes + 1)


async def _text_body(request: Request) -> tuple[str, str]:
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(422, "invalid_request", "请求正文应为 JSON {\"text\": …} 或 multipart 文件上传") from None
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        raise ApiError(422, "invalid_request", "缺少报告正文 text", "text")
    name = body.get("name")
    return str(body["text"]), name if isinstance(name, str) and name.strip() else "report.txt"
