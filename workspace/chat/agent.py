"""The chat with a model: a LangChain tool-calling agent over the chat capabilities, held to the number guard.

The tools are the registered capabilities that declare a ``tool`` description
(score, explain, findings, draft, revise, precedents, check, case edits); each
runs the same handler the router runs and returns its answer as JSON. Figures in
the final answer must be figures of the case *and* appear in a tool result:
tool results, not model text, are the source of numbers. A malformed tool call,
too many rounds, a timeout or a failed endpoint end in the router's answer with
a note saying why — never a hang.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from assistant.guard import check_answer, trace_text
from assistant.models import GuardResult, Violation
from core.settings import Settings
from scoring import Case
from workspace.chat import answer as route_answer
from workspace.chat import run
from workspace.chat.base import INTENTS, ChatAnswer, Context, IntentSpec, route_context

if TYPE_CHECKING:
    from workspace.workspace import Workspace

MAX_ROUNDS = 4
HISTORY_TURNS = 6
SYSTEM = (
    "你是项目支出绩效评价报告助手，协助评价人起草和核对报告。只回答与本案例和绩效评价有关的问题。"
    "凡涉及得分、扣分、金额、比率、日期的内容，必须先调用工具查得，回答中的数字只能照抄工具结果，不得自行计算或编造。"
    "修改案例（新增、更正问题，改写原因）只能通过工具提议，由评价人回复“确认”后才写入。回答用中文，简洁。"
)


class AgentFailed(RuntimeError):
    """The model could not be used for this message (the router answers instead)."""


def tool_schema(spec: IntentSpec) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": spec.name, "description": spec.tool, "parameters": {"type": "object", "properties": spec.params, "required": list(spec.required)}},
    }


def tools() -> list[IntentSpec]:
    return [spec for spec in INTENTS.values() if spec.tool]


def _valid_args(spec: IntentSpec, args: Any) -> dict[str, Any] | str:
    """The call's arguments, or why they do not fit the tool's parameters."""
    if not isinstance(args, dict):
        return "参数应为 JSON 对象"
    missing = [name for name in spec.required if args.get(name) in (None, "")]
    if missing:
        return f"缺少参数：{'、'.join(missing)}"
    unknown = [name for name in args if name not in spec.params]
    if unknown:
        return f"未知的参数：{'、'.join(unknown)}"
    kinds = {"integer": int, "string": str, "boolean": bool, "array": list}
    for name, value in args.items():
        kind = kinds.get(spec.params[name].get("type", ""))
        if kind is not None and value is not None and not isinstance(value, kind):
            if kind is int and isinstance(value, str) and value.isdigit():
                args[name] = int(value)
                continue
            return f"参数 {name} 的类型应为 {spec.params[name]['type']}"
    return args


class ChatAgent:
    """A bounded tool-calling loop around one chat model."""

    def __init__(self, chat_model: Any, timeout: float = 120.0, max_rounds: int = MAX_ROUNDS) -> None:
        self.chat_model = chat_model
        self.timeout = timeout
        self.max_rounds = max_rounds

    def answer(self, message: str, case: Case | None, workspace: "Workspace", owner: str | None, history: list[dict[str, Any]]) -> ChatAnswer:
        """The final answer (the events without the live ones)."""
        final: ChatAnswer | None = None
        for kind, data in self.events(message, case, workspace, owner, history):
            if kind == "answer":
                final = data
        assert final is not None
        return final

    def events(self, message: str, case: Case | None, workspace: "Workspace", owner: str | None, history: list[dict[str, Any]]) -> Iterator[tuple[str, Any]]:
        """Live events while the agent works — ``("tool", call)`` and ``("delta", text)`` as the model writes —
        then ``("answer", ChatAnswer)``: checked, or the router's answer with a note when the model failed."""
        ctx = Context(message, case, workspace, owner, history)
        if route_context(ctx) in ("confirm", "cancel"):  # a reply to a proposal is the evaluator's decision, not the model's
            yield "answer", route_answer(message, case, workspace, owner, history)
            return
        try:
            yield from self._loop(ctx)
        except AgentFailed as exc:
            routed = route_answer(message, case, workspace, owner, history)
            note = f"（大模型未能完成：{exc}；以下为规则助手的回答。）"
            yield "answer", routed.model_copy(update={"text": f"{note}\n\n{routed.text}"})

    def _round(self, bound: Any, messages: list[Any], deadline: float) -> Iterator[tuple[str, Any]]:
        """One model call, streamed from a worker thread: ``("delta", text)``… then ``("message", AIMessageChunk)``.
        The overall deadline holds even when the endpoint stalls mid-stream."""
        if deadline - time.monotonic() <= 0:
            raise AgentFailed("超时")
        pieces: queue.Queue[tuple[str, Any]] = queue.Queue()

        def work() -> None:
            try:
                total = None
                for chunk in bound.stream(messages):
                    total = chunk if total is None else total + chunk
                    text = _text(chunk)
                    if text:
                        pieces.put(("delta", text))
                pieces.put(("message", total))
            except Exception as exc:  # the endpoint's own error types vary by provider
                pieces.put(("error", exc))

        threading.Thread(target=work, daemon=True).start()
        while True:
            try:
                kind, value = pieces.get(timeout=max(deadline - time.monotonic(), 0.001))
            except queue.Empty:
                raise AgentFailed(f"超过 {self.timeout:g} 秒未答复") from None
            if kind == "error":
                raise AgentFailed(f"模型调用失败：{type(value).__name__}")
            yield kind, value
            if kind == "message":
                return

    def _messages(self, ctx: Context) -> list[Any]:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        system = SYSTEM + (f"本会话的案例：{ctx.case.project.name}。" if ctx.case else "本会话还没有载入案例。")
        earlier: list[Any] = []
        for item in ctx.history[-2 * HISTORY_TURNS :]:
            content = str(item.get("content", ""))[:1500]
            earlier.append(HumanMessage(content) if item.get("role") == "user" else AIMessage(content))
        return [SystemMessage(system), *earlier, HumanMessage(ctx.message)]

    def _loop(self, ctx: Context) -> Iterator[tuple[str, Any]]:
        from langchain_core.messages import AIMessage, ToolMessage

        specs = {spec.name: spec for spec in tools()}
        try:
            bound = self.chat_model.bind_tools([tool_schema(spec) for spec in specs.values()])
        except Exception as exc:
            raise AgentFailed(f"模型不支持工具调用：{type(exc).__name__}") from exc
        deadline = time.monotonic() + self.timeout
        messages = self._messages(ctx)
        results: list[ChatAnswer] = []
        calls: list[dict[str, Any]] = []
        for round_number in range(self.max_rounds + 1):
            reply: Any = None
            for kind, value in self._round(bound, messages, deadline):
                if kind == "delta":
                    yield "delta", value
                else:
                    reply = value
            if reply is None:
                raise AgentFailed("模型没有给出回答")
            if getattr(reply, "invalid_tool_calls", None) or not _whole_arguments(reply):
                raise AgentFailed("模型的工具调用格式有误")
            tool_calls = list(getattr(reply, "tool_calls", None) or [])
            if not tool_calls:
                yield "answer", self._final(ctx, _text(reply), results, calls)
                return
            if round_number == self.max_rounds:
                raise AgentFailed(f"工具调用超过 {self.max_rounds} 轮")
            messages.append(AIMessage(content=_text(reply), tool_calls=tool_calls))
            for call in tool_calls:
                spec = specs.get(call.get("name", ""))
                checked = _valid_args(spec, call.get("args")) if spec else f"没有名为 {call.get('name')!r} 的工具"
                record = {"name": call.get("name"), "args": call.get("args"), "ok": isinstance(checked, dict)}
                calls.append(record)
                yield "tool", record
                if spec is None or isinstance(checked, str):
                    content = json.dumps({"error": checked}, ensure_ascii=False)
                else:
                    result = run(spec, ctx, checked)
                    results.append(result)
                    content = json.dumps({"intent": result.intent, "text": result.text[:6000], "figures": [f.model_dump() for f in result.figures[:60]]}, ensure_ascii=False)
                messages.append(ToolMessage(content=content, tool_call_id=call.get("id") or "call"))
            if sum(1 for c in calls if not c["ok"]) >= 3:
                raise AgentFailed("工具调用多次无效")
        raise AgentFailed(f"工具调用超过 {self.max_rounds} 轮")

    def _final(self, ctx: Context, text: str, results: list[ChatAnswer], calls: list[dict[str, Any]]) -> ChatAnswer:
        if not text.strip():
            if not results:
                raise AgentFailed("模型没有给出回答")
            text = results[-1].text
        main = next((r for r in reversed(results) if r.draft is not None or r.proposal is not None), results[-1] if results else None)
        guard: GuardResult | None = None
        figures = []
        if ctx.case is not None:
            guard = check_answer(text, ctx.book)
            sources = "\n".join(r.text for r in results)
            unsourced = [
                Violation(text=ref.text, start=ref.start, end=ref.end, reason=f"数字 {ref.text} 不在工具结果中（须由工具查得，不得由模型写出）", nearest=None)
                for ref in trace_text(text, ctx.book)
                if ref.text not in sources
            ]
            violations = [*guard.violations, *unsourced]
            guard = ctx.guarded(text, GuardResult(ok=not violations, checked=guard.checked, violations=violations))
            figures = [ref for ref in trace_text(text, ctx.book) if ref.text in sources]
            if violations:
                text += f"\n\n> 数字核对：{len(violations)} 个数字不是评分模块算出的或不在工具结果中（" + "、".join(v.text for v in violations[:6]) + "），请以工具结果为准逐一核实。"
            if guard.claim_violations:
                text += "\n\n> 事实核对：" + "；".join(v.reason for v in guard.claim_violations[:4]) + "。"
        if main is not None and main.draft is not None and main.text not in text:
            text += "\n\n" + main.text  # the checked draft itself, as the tool produced it
        return ChatAnswer(
            intent=main.intent if main else "agent",
            text=text,
            citations=[c for r in results for c in r.citations],
            figures=figures + [f for r in results for f in r.figures],
            guard=guard,
            draft=main.draft if main else None,
            proposal=main.proposal if main else None,
            problem=main.problem if main else None,
            tools=calls,
        )


def _whole_arguments(reply: Any) -> bool:
    """Whether every streamed tool call's arguments are complete JSON (a streamed message parses them leniently)."""
    for chunk in getattr(reply, "tool_call_chunks", None) or []:
        arguments = chunk.get("args")
        if arguments:
            try:
                json.loads(arguments)
            except ValueError:
                return False
    return True


def _text(reply: Any) -> str:
    content = getattr(reply, "content", "")
    if isinstance(content, list):
        content = "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return content if isinstance(content, str) else ""


def agent_for(settings: Settings) -> ChatAgent | None:
    """The agent when a model is configured (``JIXIAO_LLM_BASE_URL`` and ``JIXIAO_LLM_MODEL``), else ``None``."""
    if not settings.llm_base_url or not settings.llm_model:
        return None
    from assistant.drafters.llm import chat_model_from_settings

    return ChatAgent(chat_model_from_settings(settings), timeout=settings.llm_timeout)
