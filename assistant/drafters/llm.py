"""The LLM drafter: any OpenAI-compatible chat endpoint through LangChain, held to the number guard.

Figures and precedents go into the prompt (precedents delimited as data, never
as instructions). A draft that fails the guard is sent back once with the
violations named; if it still fails, it is returned with the violations marked
for the reviewer. If the endpoint fails or answers garbage, the template draft
is returned with a note. Never a silent wrong number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from assistant.draft_input import DraftInput
from assistant.drafters.base import DraftEvent, drafter
from assistant.drafters.template import TemplateDrafter
from assistant.models import Draft, Section, Violation
from assistant.precedents import find, source_ref
from assistant.render import TEMPLATES, parse_paragraphs
from assistant.sections import SECTIONS
from assistant.claims import repair_claims
from assistant.verify import figure_book, verify
from core.settings import Settings


class LLMError(RuntimeError):
    """The model endpoint failed or answered something that is not a draft."""


class LLMDrafter:
    def __init__(self, chat_model: Any, model_name: str = "llm") -> None:
        self.chat_model = chat_model
        self.name = f"llm:{model_name}"

    # ── prompt ───────────────────────────────────────────────────────────────
    def _messages(self, data: DraftInput, section: str, precedents: list[Any], book: Any, violations: list[Violation] | None = None, previous: str = "") -> list[tuple[str, str]]:
        from langchain_core.messages import HumanMessage, SystemMessage

        problems = [
            {"nature": p.nature, "findings": p.findings, "leaves": [{"name": n.name, "score": n.score, "weight": n.weight} for n in p.leaves]}
            for p in data.problems
        ]
        user = TEMPLATES.get_template("llm/section.j2").render(
            section=section,
            section_title=SECTIONS[section].title,
            project=data.case.project,
            total=data.result.total,
            grade=data.result.grade,
            problems=problems,
            figures=book.prompt_table(),
            precedents=[_as_data(hit) for hit in precedents],
            violations=violations or [],
            previous=previous,
        )
        return [SystemMessage(TEMPLATES.get_template("llm/system.j2").render()), HumanMessage(user)]  # type: ignore[list-item]

    def _precedents(self, data: DraftInput, section: str) -> list[Any]:
        query = " ".join(p.nature for p in data.problems[:4]) or data.case.project.name
        return find(data.index, query, SECTIONS[section].precedent_kind, k=6)

    # ── calls ────────────────────────────────────────────────────────────────
    def _invoke(self, messages: list[Any]) -> str:
        try:
            reply = self.chat_model.invoke(messages)
        except Exception as exc:  # the endpoint's own error types vary by provider
            raise LLMError(f"模型调用失败：{type(exc).__name__}: {exc}") from exc
        return _text_of(reply)

    def _to_draft(self, text: str, data: DraftInput, section: str, precedents: list[Any]) -> Draft:
        citations = [source_ref(hit) for hit in precedents]
        paragraphs = parse_paragraphs(_safe_markers(text, len(citations)), citations)
        if not paragraphs or sum(len(p.text) for p in paragraphs) < 20:
            raise LLMError("模型返回的内容不是可用的草稿")
        return Draft(project=data.case.project.name, section=section, backend=self.name, sections=[Section(name=section, title=SECTIONS[section].title, paragraphs=paragraphs)])

    def _finish(self, first_text: str, data: DraftInput, section: str, precedents: list[Any], book: Any) -> tuple[Draft, list[str]]:
        notices: list[str] = []
        draft = verify(self._to_draft(first_text, data, section, precedents), data, book)
        assert draft.guard is not None
        if not draft.guard.violations:
            return self._mark_claims(draft, data, book, notices)
        notices.append(f"初稿有 {len(draft.guard.violations)} 个数字不是评分模块算出的，已要求模型改正一次。")
        retry = self._invoke(self._messages(data, section, precedents, book, draft.guard.violations, first_text))
        repaired = verify(self._to_draft(retry, data, section, precedents), data, book)
        assert repaired.guard is not None
        if repaired.guard.violations:
            notices.append(f"改正后仍有 {len(repaired.guard.violations)} 个数字无法核对，已在文中标出，请评价人逐一核实。")
        return self._mark_claims(repaired, data, book, notices)

    @staticmethod
    def _mark_claims(draft: Draft, data: DraftInput, book: Any, notices: list[str]) -> tuple[Draft, list[str]]:
        """The claim guard's findings in the model's text are marked (never kept as fact), then checked again."""
        marked, marks = repair_claims(draft)
        if not marks:
            return draft, notices
        notices.append(f"模型写出 {marks} 处案例中没有的原因、名称或先例原句，已改为【请补充原因】或在文中标出，原因措辞列为可选项。")
        return verify(marked, data, book), notices

    def draft(self, data: DraftInput, section: str) -> Draft:
        book = figure_book(data)
        precedents = self._precedents(data, section)
        try:
            text = self._invoke(self._messages(data, section, precedents, book))
            draft, notices = self._finish(text, data, section, precedents, book)
        except LLMError as exc:
            return self._fallback(data, section, str(exc))
        return draft.model_copy(update={"notes": [*draft.notes, *notices]})

    def stream(self, data: DraftInput, section: str) -> Iterator[DraftEvent]:
        book = figure_book(data)
        precedents = self._precedents(data, section)
        parts: list[str] = []
        try:
            for chunk in self.chat_model.stream(self._messages(data, section, precedents, book)):
                piece = _text_of(chunk)
                if piece:
                    parts.append(piece)
                    yield DraftEvent(type="delta", text=piece)
            draft, notices = self._finish("".join(parts), data, section, precedents, book)
        except Exception as exc:  # a broken stream falls back like a failed call
            message = str(exc) if isinstance(exc, LLMError) else f"模型调用失败：{type(exc).__name__}: {exc}"
            fallback = self._fallback(data, section, message)
            yield DraftEvent(type="notice", text=fallback.notes[-1])
            yield DraftEvent(type="draft", draft=fallback)
            return
        for notice in notices:
            yield DraftEvent(type="notice", text=notice)
        yield DraftEvent(type="draft", draft=draft.model_copy(update={"notes": [*draft.notes, *notices]}))

    def _fallback(self, data: DraftInput, section: str, reason: str) -> Draft:
        draft = TemplateDrafter().draft(data, section)
        return draft.model_copy(update={"notes": [*draft.notes, f"{reason}；已改用模板草稿（数字均来自评分模块）。"]})


def _text_of(reply: Any) -> str:
    content = getattr(reply, "content", reply)
    if isinstance(content, list):  # some providers return content parts
        content = "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    if not isinstance(content, str):
        raise LLMError("模型返回的内容不是文本")
    return content


_DELIMITER = re.compile(r"<(?=\s*/?\s*(?:先例材料|案例事实))")


def _as_data(hit: Any) -> dict[str, Any]:
    """A precedent for the prompt: its text cannot close the <先例材料> block around it (or open another),
    and its source cannot end the 出处="…" attribute. The model is told the block is data; this keeps it so."""

    def neutral(text: str) -> str:
        return _DELIMITER.sub("＜", text)

    display = neutral(hit.citation.display).replace('"', "＂").replace("\n", " ")
    return {"text": neutral(hit.text), "citation": {"display": display}}


def _safe_markers(text: str, count: int) -> str:
    """Drop citation markers that point to no precedent we supplied."""
    return re.sub(r"\[\[c:(\d+)\]\]", lambda m: m.group(0) if int(m.group(1)) < count else "", text)


def chat_model_from_settings(settings: Settings) -> Any:
    from langchain_openai import ChatOpenAI

    if not settings.llm_base_url or not settings.llm_model:
        raise LLMError("使用 LLM 起草需设置 JIXIAO_LLM_BASE_URL 和 JIXIAO_LLM_MODEL（以及可选的 JIXIAO_LLM_API_KEY）")
    return ChatOpenAI(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key or "not-needed",
        timeout=settings.llm_timeout,
        max_retries=1,
        temperature=0.2,
    )


@drafter("llm", "大模型（OpenAI 兼容接口：JIXIAO_LLM_BASE_URL、JIXIAO_LLM_MODEL）")
def _llm(settings: Settings) -> LLMDrafter:
    return LLMDrafter(chat_model_from_settings(settings), settings.llm_model or "llm")
