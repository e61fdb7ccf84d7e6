"""The chat assistant: a request in Chinese → scoring, retrieval, drafting or a confirmed case edit, with citations.

Without a model (the default) :func:`answer` routes the message by the cues of
the registered capabilities (:data:`INTENTS`) and answers from the workspace's
operations. With ``JIXIAO_LLM_BASE_URL`` and ``JIXIAO_LLM_MODEL`` set, the
workspace hands the message to the tool-calling agent (:mod:`workspace.chat.agent`),
whose tools are the same capabilities; it falls back to this router on any failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scoring import Case
from workspace.chat.base import INTENTS, ChatAnswer, Context, IntentSpec, intent, route_context

if TYPE_CHECKING:
    from workspace.workspace import Workspace

NO_CASE = "本会话还没有案例。请先上传案例文件（YAML/JSON/工作底稿），或在网页左侧载入示例案例。"


def route(message: str, case: Case | None = None, workspace: "Workspace | None" = None, history: list[dict[str, Any]] | None = None) -> str:
    """The capability a message asks for (``help`` when unclear, ``off_topic`` when not about evaluation work)."""
    return route_context(Context(message, case, workspace, None, history or []))  # type: ignore[arg-type]


def answer(message: str, case: Case | None, workspace: "Workspace", owner: str | None = None, history: list[dict[str, Any]] | None = None) -> ChatAnswer:
    """Route one user message and answer it from the case, the scores, the precedents and the session's history."""
    ctx = Context(message, case, workspace, owner, history or [])
    return run(INTENTS[route_context(ctx)], ctx)


def run(spec: IntentSpec, ctx: Context, args: dict[str, Any] | None = None) -> ChatAnswer:
    """One capability on one message: its arguments parsed from the message unless given (the agent gives them)."""
    if spec.needs_case and ctx.case is None:
        return ChatAnswer(intent=spec.name, text=NO_CASE)
    return spec.handle(ctx, spec.parse(ctx) if args is None else args)


__all__ = ["INTENTS", "NO_CASE", "ChatAnswer", "Context", "IntentSpec", "answer", "intent", "route", "run"]
