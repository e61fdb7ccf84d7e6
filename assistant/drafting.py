"""Draft a section for a case: the functions the workspace (and so the CLI, the API and the chat) call."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.draft_input import DraftInput
from assistant.drafters import DRAFTERS, Drafter, DraftEvent
from assistant.models import Draft
from assistant.precedents import SearchesPrecedents
from assistant.problems import ProblemOrder
from assistant.sections import SECTIONS, problems_section
from assistant.verify import verify
from core.settings import Settings, load_settings
from scoring import Case, score_case


class DraftingError(ValueError):
    """A request that cannot be drafted (unknown section or back end, missing LLM settings)."""


def make_drafter(backend: str, settings: Settings | None = None) -> Drafter:
    """The back end ``backend`` from the drafter registry, built with ``settings``."""
    spec = DRAFTERS.get(backend)
    if spec is None:
        raise DraftingError(f"未知的起草方式 {backend!r}（可用：{'、'.join(DRAFTERS)}）")
    try:
        return spec.factory(settings or load_settings())
    except Exception as exc:
        raise DraftingError(str(exc)) from exc


def _input(case: Case, section: str, index: SearchesPrecedents | None, order: ProblemOrder = "points") -> DraftInput:
    if section not in SECTIONS:
        raise DraftingError(f"未知的章节 {section!r}（可用：{'、'.join(SECTIONS)}）")
    return DraftInput.build(case, score_case(case), index, order)


def draft_case(case: Case, section: str, backend: str = "template", index: SearchesPrecedents | None = None, settings: Settings | None = None,
               order: ProblemOrder = "points") -> Draft:
    """Score the case, then draft ``section`` around the computed figures; the result carries its guard and claim checks.
    ``order``: problems by points lost (default) or ``framework`` (决策→过程→产出→效益)."""
    data = _input(case, section, index, order)
    return make_drafter(backend, settings).draft(data, section)


def stream_case(case: Case, section: str, backend: str = "template", index: SearchesPrecedents | None = None, settings: Settings | None = None) -> Iterator[DraftEvent]:
    """The same, as events: text deltas while it is written, notices, then the checked draft."""
    data = _input(case, section, index)
    yield from make_drafter(backend, settings).stream(data, section)


def draft_problem(case: Case, number: int, index: SearchesPrecedents | None = None) -> tuple[Draft | None, int]:
    """Problem ``number`` (1-based) of the problems section with every finding listed, checked by the guard;
    ``(None, count)`` when the case has fewer problems. Returns the draft and how many problems there are."""
    data = _input(case, "problems", index)
    if not 1 <= number <= len(data.problems):
        return None, len(data.problems)
    section = problems_section(data, detailed=frozenset({number - 1}))
    headings = [i for i, p in enumerate(section.paragraphs) if p.style == "heading"]  # keep that one problem
    start = headings[number - 1]
    end = headings[number] if number < len(headings) else len(section.paragraphs)
    section = section.model_copy(update={"paragraphs": section.paragraphs[start:end]})
    draft = Draft(project=case.project.name, section="problems", backend="template", sections=[section])
    return verify(draft, data), len(data.problems)
