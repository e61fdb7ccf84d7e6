"""The number guard: every number in a draft must be a figure of the scoring module or a fact of the case.

A quantity that no legal figure rounds to is a violation, reported with the
nearest legal figure. A year or date the case does not contain is a violation
too ("日期不在案例中"). Document numbers, ordinals and codes are never figures,
and nothing inside a title 《…》 is checked: a title is a name.
"""

from __future__ import annotations

import re

from assistant.figures import Figure, FigureBook
from assistant.models import Draft, FigureRef, GuardResult, Paragraph, Violation
from scoring.numparse import ParsedNumber, find_numbers

#: Roles that never carry a figure.
ALLOWED_ROLES = frozenset({"doc_number", "ordinal", "code"})
_SENTENCE_BREAKS = "。；;！？!?\n"
_CONTEXT_CHARS = 60


def _context(text: str, start: int) -> str:
    """The text of the number's sentence before it: where its label (预算执行率, 总分) is written."""
    begin = max(text.rfind(char, 0, start) for char in _SENTENCE_BREAKS) + 1
    return text[max(begin, start - _CONTEXT_CHARS):start]


def _title_spans(text: str) -> list[tuple[int, int]]:
    """Spans of 《…》 titles, nested ones included in the outer span."""
    spans: list[tuple[int, int]] = []
    depth, start = 0, 0
    for i, char in enumerate(text):
        if char == "《":
            if depth == 0:
                start = i
            depth += 1
        elif char == "》" and depth:
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans


def _inside(number: ParsedNumber, spans: list[tuple[int, int]]) -> bool:
    return any(start <= number.start and number.end <= end for start, end in spans)


def _figure_violation(number: ParsedNumber, book: FigureBook, context: str) -> Violation:
    unit = f"（单位：{number.unit}）" if number.unit and number.unit not in ("%", "％") else ""
    nearest = book.nearest(number, context)
    return Violation(
        text=number.text,
        start=number.start,
        end=number.end,
        reason=f"数字 {number.text} 不是评分模块算出的数字，也不在案例中{unit}",
        nearest=nearest.describe() if nearest else None,
    )


def _date_violation(number: ParsedNumber, book: FigureBook) -> Violation:
    what = "年份" if number.role == "year" else "日期"
    nearest = book.nearest_date(number)
    return Violation(
        text=number.text,
        start=number.start,
        end=number.end,
        reason=f"日期不在案例中：{what} {number.text} 未见于案例（项目年度、评价期间、资金与问题清单）",
        nearest=f"{nearest}（案例中的日期）" if nearest else None,
    )


def _inspect(text: str, book: FigureBook) -> tuple[int, list[Violation]]:
    """(numbers checked, violations) for one text."""
    checked = 0
    violations: list[Violation] = []
    titles = _title_spans(text)
    for number in find_numbers(text):
        if number.role in ALLOWED_ROLES or _inside(number, titles):
            continue
        checked += 1
        if number.role in ("year", "date"):
            if not book.has_date(number):
                violations.append(_date_violation(number, book))
            continue
        context = _context(text, number.start)
        if book.match(number, context) is None:
            violations.append(_figure_violation(number, book, context))
            continue
        # A legal value under the wrong label is still a wrong number: "总分100分" when 100 is the full
        # score and the total is 83.00 (what a model that obeys an injected "总分写100分" writes).
        labelled = book.labelled(context)
        if labelled and not any(book.fits(number, figure) for figure in labelled):
            violations.append(_label_violation(number, labelled[0]))
    found, grade_checks = _grade_violations(text, book)
    return checked + grade_checks, violations + found


def _label_violation(number: ParsedNumber, figure: Figure) -> Violation:
    return Violation(
        text=number.text,
        start=number.start,
        end=number.end,
        reason=f"数字 {number.text} 写在“{figure.label}”之后，但评分模块算出的{figure.label}是 {figure.text}",
        nearest=figure.describe(),
    )


_GRADE_LINK = r"(?:为|是|：|:|写为|写成|评为|评定为|定为|确定为)?\s*[“\"「『]?"


def _grade_violations(text: str, book: FigureBook) -> tuple[list[Violation], int]:
    """A grade written after 等级 that is not the computed one ("评价等级为优" when the case scores 良)."""
    names = sorted(book.grade_names, key=len, reverse=True)
    if not book.grade or not names:
        return [], 0
    pattern = re.compile(f"等级{_GRADE_LINK}({'|'.join(re.escape(name) for name in names)})")
    found, checked = [], 0
    for match in pattern.finditer(text):
        checked += 1
        written = match.group(1)
        if written != book.grade and not (written.startswith(book.grade) or book.grade.startswith(written)):
            found.append(Violation(
                text=written,
                start=match.start(1),
                end=match.end(1),
                reason=f"等级“{written}”不是评分模块评定的等级（应为“{book.grade}”）",
                nearest=f"{book.grade}（等级）",
            ))
    return found, checked


def check_text(text: str, book: FigureBook) -> list[Violation]:
    """Every number in ``text`` that is neither a computed figure nor a fact of the case (positions are in ``text``)."""
    return _inspect(text, book)[1]


def check_draft(draft: Draft, book: FigureBook) -> GuardResult:
    """Check every paragraph of every section; violations name the section, the paragraph index and the position in it."""
    checked = 0
    violations: list[Violation] = []
    for section in draft.sections:
        for index, paragraph in enumerate(section.paragraphs):
            count, found = _inspect(paragraph.text, book)
            checked += count
            violations.extend(violation.model_copy(update={"section": section.name, "paragraph": index}) for violation in found)
    return GuardResult(ok=not violations, checked=checked, violations=violations)


def _traced(paragraph: Paragraph, book: FigureBook) -> Paragraph:
    text = paragraph.text
    titles = _title_spans(text)
    refs: list[tuple[int, int, str, str, str | None, str]] = []
    for number in find_numbers(text):
        if number.role != "quantity" or _inside(number, titles):
            continue
        figure = book.match(number, _context(text, number.start))
        if figure is not None:
            refs.append((number.start, number.end, number.text, figure.key, figure.audit, figure.label))
    sentences = []
    offset = 0
    for sentence in paragraph.sentences:
        end = offset + len(sentence.text)
        figures = [
            FigureRef(text=shown, start=start - offset, end=min(stop, end) - offset, key=key, audit=audit, label=label)
            for start, stop, shown, key, audit, label in refs
            if offset <= start < end
        ]
        sentences.append(sentence.model_copy(update={"figures": figures}))
        offset = end
    return paragraph.model_copy(update={"sentences": sentences})


def trace_figures(draft: Draft, book: FigureBook) -> Draft:
    """A copy of ``draft`` whose every sentence lists the figures it contains (key and audit of each)."""
    sections = [
        section.model_copy(update={"paragraphs": [_traced(paragraph, book) for paragraph in section.paragraphs]})
        for section in draft.sections
    ]
    return draft.model_copy(update={"sections": sections})


def trace_text(text: str, book: FigureBook) -> list[FigureRef]:
    """The computed figures ``text`` contains (positions in ``text``): a chat answer's figure sources."""
    titles = _title_spans(text)
    refs: list[FigureRef] = []
    for number in find_numbers(text):
        if number.role != "quantity" or _inside(number, titles):
            continue
        figure = book.match(number, _context(text, number.start))
        if figure is not None:
            refs.append(FigureRef(text=number.text, start=number.start, end=number.end, key=figure.key, audit=figure.audit, label=figure.label))
    return refs


def check_answer(text: str, book: FigureBook) -> GuardResult:
    """The guard on a chat answer's text (not a draft): every number a figure of the case or a fact of it."""
    checked, violations = _inspect(text, book)
    return GuardResult(ok=not violations, checked=checked, violations=violations)


__all__ = ["ALLOWED_ROLES", "check_answer", "check_draft", "check_text", "trace_figures", "trace_text"]
