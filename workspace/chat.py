"""The chat assistant's deterministic router: a request in Chinese → scoring, retrieval or drafting, with citations.

No model is needed: intents are recognised by the cues below (data, not an
if-chain) and every answer is built from the workspace's own operations — the
same methods the CLI commands and the API routes call.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from assistant.models import Draft, FigureRef, GuardResult, SourceRef
from assistant.precedents import source_ref
from assistant.render import cn_number
from assistant.sections import section_for_message
from retrieval.search import SearchFilters
from scoring import Case
from scoring.funds import FUND_LABELS
from scoring.numbers import fmt, fmt_short

if TYPE_CHECKING:
    from workspace.workspace import Workspace

_CN = {cn_number(i): i for i in range(1, 21)}


class ChatAnswer(BaseModel):
    intent: str
    text: str = Field(description="回答正文（Markdown）")
    citations: list[SourceRef] = Field(default_factory=list)
    figures: list[FigureRef] = Field(default_factory=list)
    guard: GuardResult | None = None
    draft: Draft | None = None


INTENT_CUES: tuple[tuple[str, str], ...] = (
    ("revise", r"第[一二三四五六七八九十\d]+[个条]?问题.*(具体|详细|展开|补充|充实)"),
    ("precedents", r"以往|过去|先例|其他报告|别的报告|怎么表述|如何表述|怎么写的|怎样表述|怎么描述"),
    ("check", r"算得对|算对|对不对|对吗|核对|有没有错|是否正确|算错|有误"),
    ("draft", r"起草|草拟|拟写|撰写|生成|写一|写个|写份|帮我写"),
    ("figure", r"多少|几分|扣了|扣分|得分|得分率|是几"),
)
_FILLER = re.compile(r"以往|过去|先例|其他报告|别的报告|报告里|报告中|的?是?怎么表述的?|如何表述|怎么写的?|怎样表述|怎么描述|[？?。！!，,]|一般|通常|请问|帮我查?一?下?")


def route(message: str) -> str:
    for intent, pattern in INTENT_CUES:
        if re.search(pattern, message):
            return intent
    return "help"


def answer(message: str, case: Case | None, workspace: "Workspace", owner: str | None = None, history: list[dict[str, Any]] | None = None) -> ChatAnswer:
    """Route one user message and answer it from the case, the scores and the precedents."""
    intent = route(message)
    handler = HANDLERS[intent]
    if intent in ("revise", "check", "draft", "figure") and case is None:
        return ChatAnswer(intent=intent, text="本会话还没有案例。请先上传案例文件（YAML/JSON），或在网页左侧载入示例案例。")
    return handler(message, case, workspace, owner, history or [])


def _draft(message: str, case: Case | None, workspace: "Workspace", owner: str | None, history: list[dict[str, Any]]) -> ChatAnswer:
    assert case is not None
    draft = workspace.draft(case, section_for_message(message), owner=owner)
    return _from_draft("draft", draft)


def _from_draft(intent: str, draft: Draft) -> ChatAnswer:
    citations, figures = draft.citations(), draft.figures()
    text = draft.markdown()
    if draft.guard is not None and not draft.guard.ok:
        text += f"\n\n> 数字核对：{len(draft.guard.violations)} 个数字未能核对，请逐一核实。"
    return ChatAnswer(intent=intent, text=text, citations=citations, figures=figures, guard=draft.guard, draft=draft)


def _revise(message: str, case: Case | None, workspace: "Workspace", owner: str | None, history: list[dict[str, Any]]) -> ChatAnswer:
    assert case is not None
    match = re.search(r"第([一二三四五六七八九十\d]+)", message)
    number = int(match.group(1)) if match and match.group(1).isdigit() else _CN.get(match.group(1) if match else "", 1)
    draft, count = workspace.draft_problem(case, number, owner=owner)
    if draft is None:
        return ChatAnswer(intent="revise", text=f"本案例共归并出 {count} 个问题，没有第{number}个。")
    revised = _from_draft("revise", draft)
    revised.text = f"已把第{number}个问题展开为问题清单中的全部事例：\n\n" + revised.text
    return revised


def _precedents(message: str, case: Case | None, workspace: "Workspace", owner: str | None, history: list[dict[str, Any]]) -> ChatAnswer:
    topic = _FILLER.sub(" ", message).strip() or message
    kind = "suggestions" if "建议" in message else "problems"
    hits = workspace.search(topic, k=3, filters=SearchFilters(kinds=[kind]), owner=owner)
    if not hits:
        return ChatAnswer(intent="precedents", text=f"没有找到与“{topic}”相关的以往表述。")
    lines = [f"以往报告中与“{topic}”相关的表述（{'建议' if kind == 'suggestions' else '存在问题'}部分）："]
    for i, hit in enumerate(hits, start=1):
        lines.append(f"{i}. {hit.citation.display}\n\n   {hit.text}")
    return ChatAnswer(intent="precedents", text="\n\n".join(lines), citations=[source_ref(hit) for hit in hits])


def _figure(message: str, case: Case | None, workspace: "Workspace", owner: str | None, history: list[dict[str, Any]]) -> ChatAnswer:
    assert case is not None
    result = workspace.score(case)
    lines: list[str] = []
    figures: list[FigureRef] = []

    def add(text: str, value: str, key: str, audit: str | None, label: str) -> None:
        start = len("\n".join(lines)) + (1 if lines else 0) + text.index(value)
        lines.append(text)
        figures.append(FigureRef(text=value, start=start, end=start + len(value), key=key, audit=audit, label=label))

    metrics = {m.key: m for m in result.funds}
    for key, label in sorted(FUND_LABELS.items(), key=lambda item: -len(item[1])):
        if label in message and key in metrics and metrics[key].value is not None:
            metric = metrics[key]
            value = f"{fmt(metric.value)}{'%' if metric.unit == '%' else ''}"  # type: ignore[arg-type]
            add(f"{label}为{value}{'' if metric.unit == '%' else '万元'}（{metric.formula}）。", value, f"funds:{key}", metric.formula, label)
    names = sorted({node.name for node in result.nodes}, key=len, reverse=True)
    mentioned = [name for name in names if name in message]
    for name in mentioned[:3]:
        for node in (n for n in result.nodes if n.name == name):
            deduction = node.weight - node.score
            score = fmt(node.score)
            text = f"“{node.path}”分值{fmt_short(node.weight)}分，得{score}分" + (f"，扣{fmt(deduction)}分" if deduction > 0 else "，未扣分") + f"（{node.audit}）。"
            add(text, score, f"node:{node.path}:score", node.audit, f"{node.name}得分")
    if "总分" in message or "等级" in message or not lines:
        total = fmt(result.total)
        add(f"综合得分{total}分，等级“{result.grade}”。", total, "total", None, "总分")
    return ChatAnswer(intent="figure", text="\n".join(lines), figures=figures)


def _check(message: str, case: Case | None, workspace: "Workspace", owner: str | None, history: list[dict[str, Any]]) -> ChatAnswer:
    assert case is not None
    result = workspace.score(case)
    total = fmt(result.total)
    stated = case.stated.total if case.stated is not None else None
    lines = []
    if stated is None:
        lines.append(f"案例中没有记录报告所写的总分；按评分规则重算，总分为{total}分，等级“{result.grade}”。")
    elif fmt(stated) == total:
        lines.append(f"报告所写总分{fmt(stated)}分与重算结果一致（{total}分，等级“{result.grade}”）。")
    else:
        lines.append(f"报告所写总分{fmt(stated)}分，按评分规则重算应为{total}分（等级“{result.grade}”），两者不一致。")
    errors = [c for c in result.checks if c.severity == "error"]
    if errors:
        lines.append(f"另发现 {len(errors)} 处需要更正：")
        lines.extend(f"- {c.place}：{c.message}" for c in errors)
    else:
        lines.append("未发现其他需要更正的不一致。")
    return ChatAnswer(intent="check", text="\n".join(lines), figures=[FigureRef(text=total, start=0, end=0, key="total", audit=None, label="总分")])


def _help(message: str, case: Case | None, workspace: "Workspace", owner: str | None, history: list[dict[str, Any]]) -> ChatAnswer:
    return ChatAnswer(
        intent="help",
        text=(
            "我可以：\n- 起草章节：「帮我起草存在的问题部分」「写一下有关建议」「生成评价结论」\n"
            "- 修改草稿：「把第二个问题写得更具体一些」\n- 查以往表述：「以往报告里资金拨付不及时怎么表述的？」\n"
            "- 查数字：「预算执行率是多少，扣了几分？」\n- 核对报告：「这份报告的总分算得对吗？」"
        ),
    )


Handler = Callable[[str, Case | None, "Workspace", str | None, list[dict[str, Any]]], ChatAnswer]

HANDLERS: dict[str, Handler] = {
    "draft": _draft,
    "revise": _revise,
    "precedents": _precedents,
    "figure": _figure,
    "check": _check,
    "help": _help,
}
