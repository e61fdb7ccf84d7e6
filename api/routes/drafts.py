"""Drafts, as JSON or streamed, and their export to Word or Markdown."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from api.deps import Owner, WorkspaceDep, sse, wants_stream
from api.routes.cases import CaseBody
from assistant.drafters import DraftEvent
from assistant.models import Draft
from assistant.sections import SECTIONS, choices_help
from workspace import WorkspaceError

router = APIRouter(tags=["drafts"])
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class DraftBody(CaseBody):
    section: str = Field(default="problems", description=f"章节：{choices_help()}")
    backend: str = Field(default="template", description="起草方式：template（默认，离线）或 llm")


class ExportBody(BaseModel):
    draft: Draft
    format: Literal["docx", "md"] = "docx"


@router.post("/v1/drafts")
def drafts(body: DraftBody, request: Request, workspace: WorkspaceDep, who: Owner) -> Response:
    case = workspace.parse_case(body.case)
    if wants_stream(request):
        events = workspace.stream_draft(case, body.section, backend=body.backend, owner=who)
        return StreamingResponse(_draft_events(events), media_type="text/event-stream")
    draft = workspace.draft(case, body.section, backend=body.backend, owner=who)
    return Response(draft.model_dump_json(), media_type="application/json")


def _draft_events(events: Iterator[DraftEvent]) -> Iterator[str]:
    try:
        for event in events:
            if event.type == "draft" and event.draft is not None:
                yield sse("citations", [ref.model_dump() for ref in event.draft.citations()])
                yield sse("guard", event.draft.guard.model_dump() if event.draft.guard else None)
                yield sse("draft", event.draft.model_dump(mode="json"))
            else:
                yield sse(event.type, {"text": event.text})
    except (WorkspaceError, ValueError) as exc:  # a drafter that cannot be built (missing LLM settings) fails here
        yield sse("error", {"code": "invalid_request", "message": str(exc)})
    yield sse("done", {})


@router.post("/v1/drafts/export")
def export(body: ExportBody, who: Owner) -> Response:
    from assistant.export_docx import export_docx, export_markdown

    spec = SECTIONS.get(body.draft.section)
    name = quote(f"{body.draft.project}-{spec.label if spec else body.draft.section}")
    if body.format == "md":
        return Response(export_markdown(body.draft), media_type="text/markdown; charset=utf-8", headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}.md"})
    return Response(export_docx(body.draft), media_type=DOCX, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}.docx"})
