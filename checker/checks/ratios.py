"""Ratios stated in a sentence (执行率、完成率…) against the sentence's own figures, or the project's funds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from checker.checks.base import finding, pct, q, report_check, truncated
from checker.facts import ReportFacts
from checker.findings import Finding
from checker.statements import FUND_RATIO, RatioStatement, find_ratios, fund_key, fund_ratio_kind, heading_rank, is_percent, label_before, quantities
from scoring.numbers import HUNDRED
from scoring.numparse import ParsedNumber

_CODE_UNITS = {"个", "项", "家", "台", "套", "条", "份", "例"}


def _value(number: ParsedNumber) -> Decimal:
    return number.base_value if number.measure == "money" else number.value


def _comparable(a: ParsedNumber, b: ParsedNumber) -> bool:
    if a.measure != b.measure:
        return False
    if a.measure == "count":
        return a.unit == b.unit or {a.unit, b.unit} <= _CODE_UNITS
    return True


def _label(text: str, start: int) -> str:
    return re.sub(r"(?:为|是|达|约|仅)$", "", label_before(text, start))


def _labelled(text: str, words: tuple[str, ...]) -> list[ParsedNumber]:
    found = []
    for number in quantities(text):
        if number.measure != "money":
            continue
        label = label_before(text, number.start)
        if any(word in label for word in words) and "率" not in label:
            found.append(number)
    return found


@report_check("ratios", title="正文比率", reads=("doc", "formulas", "fund_mentions"), order=100)
def check_ratios(facts: ReportFacts) -> Iterator[Finding]:
    formula_lines = {(f.place.line, f.quote) for f in facts.formulas}
    for ratio in find_ratios(facts.doc):
        percent = ratio.percent
        if any(line == ratio.place.line and percent.text in quote for line, quote in formula_lines):
            continue
        places = percent.decimals
        operands = [n for n in quantities(ratio.sentence) if n.end <= percent.start and not is_percent(n) and n.measure in ("money", "count", None)]
        pairs = [(a, b) for a in operands for b in operands if a is not b and _comparable(a, b) and _value(b) > 0]
        exact = [(a, b) for a, b in pairs if q(_value(a) / _value(b) * HUNDRED, places) == percent.value]
        if exact:
            continue
        truncated_pairs = [(a, b) for a, b in pairs if truncated(_value(a) / _value(b) * HUNDRED, places) == percent.value and _value(a) <= _value(b)]
        if truncated_pairs:
            a, b = truncated_pairs[-1]
            expected = _value(a) / _value(b) * HUNDRED
            yield finding("ratio", "warning", [ratio.place],
                          f"“{ratio.label}”写作 {percent.text}，按 {a.text} ÷ {b.text} = {pct(expected, places + 2)}，四舍五入应为 {pct(expected, places)}。",
                          percent.value, q(expected, places))
            continue
        kind = fund_ratio_kind(ratio.label)
        if kind is None or ratio.text.segment.kind != "paragraph":
            continue
        found = _fund_ratio(facts, ratio, kind)
        if found is not None:
            yield found


def _fund_ratio(facts: ReportFacts, ratio: RatioStatement, kind: str) -> Finding | None:
    doc = facts.doc
    _, num_words, den_words = FUND_RATIO[kind]
    segment = ratio.text.segment
    percent = ratio.percent
    position = ratio.sentence_start + percent.start
    numerators = [(n, segment) for n in _labelled(segment.text, num_words) if n.start < position]
    if not numerators:
        return None
    denominators = [(n, segment) for n in _labelled(segment.text, den_words) if n is not numerators[-1][0]]
    for other in reversed(doc.segments[max(0, segment.index - 6): segment.index]):
        rank = heading_rank(other)
        if rank is not None and rank <= 2:
            break
        if other.kind == "paragraph":
            denominators += [(n, other) for n in _labelled(other.text, den_words)]
    if not denominators:
        return None
    places = percent.decimals
    for numerator, _ in numerators:
        for denominator, _ in denominators:
            if denominator.base_value and q(numerator.base_value / denominator.base_value * HUNDRED, places) == percent.value:
                return None
    # A sentence about a part may quote the project's rate: accept the project's own figures too
    # (but not when the sentence's own figures are the project's: then they must give the rate).
    numerator, num_segment = numerators[-1]
    local_project = fund_key(label_before(num_segment.text, numerator.start), doc.doc.meta.project) is not None
    project = [m.value for m in facts.fund_mentions if m.value]
    if not local_project and any(q(a / b * HUNDRED, places) == percent.value for a in project for b in project if a <= b):
        return None
    denominator, den_segment = denominators[0]
    if not denominator.base_value:
        return None
    expected = numerator.base_value / denominator.base_value * HUNDRED
    return finding("ratio", "error",
                   [ratio.place, doc.place(num_segment, numerator.start, numerator.end), doc.place(den_segment, denominator.start, denominator.end)],
                   f"“{ratio.label}”写作 {percent.text}，但按报告所写 {_label(num_segment.text, numerator.start)} {numerator.text}{numerator.unit or ''} ÷ "
                   f"{_label(den_segment.text, denominator.start)} {denominator.text}{denominator.unit or ''} = {pct(expected, max(places, 2))}。",
                   percent.value, q(expected, max(places, 2)))
