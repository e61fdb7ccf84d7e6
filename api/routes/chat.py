"""Chat sessions: a case, its history, and messages answered from it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from api.deps import Owner, WorkspaceDep, sse, wants_stream
from api.routes.cases import CaseBody

router = APIRouter(tags=["chat"])


class SessionBody(BaseModel):
    case: dict[str, Any] | None = None
    title: str | None = Field(default=None, max_length=200)


class MessageBody(BaseModel):
    content: str = Field(min_length=1, max_length=4000)


@router.post("/v1/sessions", status_code=201)
def new_session(body: SessionBody, workspace: WorkspaceDep, who: Owner) -> dict[str, Any]:
    return {"id": workspace.new_session(who, body.case, body.title)}


@router.get("/v1/sessions")
def list_sessions(workspace: WorkspaceDep, who: Owner) -> list[dict[str, Any]]:
    return workspace.sessions.list(who)


@router.put("/v1/sessions/{session_id}/case")
def set_case(session_id: str, body: CaseBody, workspace: WorkspaceDep, who: Owner) -> dict[str, Any]:
    workspace.set_session_case(session_id, who, body.case)
    return {"id": session_id}


@router.get("/v1/sessions/{session_id}/case")
def get_session_case(session_id: str, workspace: WorkspaceDep, who: Owner) -> dict[str, Any]:
    return workspace.session_case(session_id, who)


@router.get("/v1/sessions/{session_id}")
def get_session(session_id: str, workspace: WorkspaceDep, who: Owner) -> dict[str, Any]:
    return workspace.session(session_id, who)


@router.post("/v1/sessions/{session_id}/messages")
def post_message(session_id: str, body: MessageBody, request: Request, workspace: WorkspaceDep, who: Owner) -> Response:
    events = workspace.chat_stream(session_id, who, body.content)
    if wants_stream(request):
        return StreamingResponse(_answer_events(events), media_type="text/event-stream")
    user_id, reply_id, reply, payload = next(data for kind, data in events if kind == "answer")
    return JSONResponse({"id": reply_id, "user_message_id": user_id, "role": "assistant", "content": reply.text, **payload})


def _answer_events(events: Iterator[tuple[str, Any]]) -> Iterator[str]:
    """An answer as events: the agent's live tool calls and text while it works, then intent, the rest of the text,
    citations, figures, guard, draft, proposal, changes, tools, done. A stored answer that is not the streamed text
    (the guard's notes, a fallback) is sent whole as ``text``."""
    streamed = ""
    for kind, data in events:
        if kind == "tool":
            yield sse("tool", data)
        elif kind == "delta":
            streamed += data
            yield sse("delta", {"text": data})
        elif kind == "answer":
            _, reply_id, reply, payload = data
            yield sse("intent", {"intent": payload["intent"]})
            if streamed and not reply.text.startswith(streamed):
                yield sse("text", {"text": reply.text})
            else:
                for block in re.split(r"(?<=\n\n)", reply.text[len(streamed):]):
                    if block:
                        yield sse("delta", {"text": block})
            yield sse("citations", payload["citations"])
            yield sse("figures", payload["figures"])
            if payload["guard"] is not None:
                yield sse("guard", payload["guard"])
            for name in ("draft", "proposal", "changes", "tools"):
                if payload.get(name):
                    yield sse(name, payload[name])
            yield sse("done", {"id": reply_id})
