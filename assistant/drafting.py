"""Draft a section for a case: the one function the CLI and the API call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from assistant.drafters import DRAFTERS, DraftEvent
from assistant.models import Draft, SectionName
from assistant.sections import DraftInput
from scoring import Case, score_case

SECTIONS: tuple[SectionName, ...] = ("problems", "suggestions", "analysis", "conclusion", "report")


class DraftingError(ValueError):
    """A request that cannot be drafted (unknown section or back end, missing LLM settings)."""


def make_drafter(backend: str, settings: Any, chat_model: Any = None) -> Any:
    if backend == "llm" and chat_model is not None:
        from assistant.drafters.llm import LLMDrafter

        return LLMDrafter(chat_model, getattr(settings, "llm_model", None) or "llm")
    factory = DRAFTERS.get(backend)
    if factory is None:
        raise DraftingError(f"未知的起草方式 {backend!r}（可用：{'、'.join(DRAFTERS)}）")
    try:
        return factory(settings)
    except Exception as exc:
        raise DraftingError(str(exc)) from exc


def _input(case: Case, section: str, index: Any) -> DraftInput:
    if section not in SECTIONS:
        raise DraftingError(f"未知的章节 {section!r}（可用：{'、'.join(SECTIONS)}）")
    return DraftInput.build(case, score_case(case), index)


def draft_case(case: Case, section: SectionName, backend: str = "template", index: Any = None, settings: Any = None, chat_model: Any = None) -> Draft:
    """Score the case, then draft ``section`` around the computed figures; the result carries its guard check."""
    data = _input(case, section, index)
    return make_drafter(backend, settings, chat_model).draft(data, section)


def stream_case(case: Case, section: SectionName, backend: str = "template", index: Any = None, settings: Any = None, chat_model: Any = None) -> Iterator[DraftEvent]:
    """The same, as events: text deltas while it is written, notices, then the checked draft."""
    data = _input(case, section, index)
    yield from make_drafter(backend, settings, chat_model).stream(data, section)
