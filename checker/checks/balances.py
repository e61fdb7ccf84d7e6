"""Fund identities: the report's own ``A = B + C`` over its figure table, and 结余 = 资金 − 支出."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from checker.checks.base import finding, q, report_check, s
from checker.facts import ReportFacts
from checker.findings import Finding, Place
from checker.statements import find_usages, fund_key, label_before, quantities, sentences, texts
from checker.tables import Figure, read_figure_rows

ZERO = Decimal(0)


def _figure(by_label: dict[str, list[Figure]], term: str, used: list[Figure]) -> Figure | None:
    """The figure labelled ``term``, preferring the row of the figures already used in the formula."""
    candidates = by_label.get(term) or []
    if not candidates:
        return None
    for figure in candidates:
        if used and figure.place.line == used[-1].place.line:
            return figure
    return candidates[0]


def _side(side: str, by_label: dict[str, list[Figure]]) -> tuple[Decimal, list[Figure]] | None:
    """The value of one side of an identity over the labelled figures, or ``None`` if a term is not a figure."""
    value, sign = ZERO, 1
    used: list[Figure] = []
    for term in re.split(r"([+\-−＋－])", re.sub(r"\s", "", side)):
        if term in "+＋":
            sign = 1
        elif term in "-−－":
            sign = -1
        elif term:
            figure = _figure(by_label, term, used)
            if figure is None:
                return None
            used.append(figure)
            value += sign * figure.value
    return value, used


def _show(parts: list[Figure]) -> str:
    return " ".join(f"{f.label} {s(f.value)}" for f in parts)


def _identity(clause: str, by_label: dict[str, list[Figure]], rule_place: Place) -> Iterator[Finding]:
    evaluated = []
    for side in (side.strip() for side in clause.split("=")):
        result = _side(side, by_label)
        if result is not None and result[1]:
            evaluated.append((side, *result))
    if len(evaluated) < 2:
        return
    first_side, first_value, first_used = evaluated[0]
    for side, value, used in evaluated[1:]:
        if q(value) != q(first_value):
            yield finding("fund", "error", [first_used[0].place, *[f.place for f in used], rule_place],
                          f"按报告自身的口径“{clause.strip()}”，{first_side} 为 {s(first_value)}，而 {side} = {_show(used)} 合计 {s(value)}，两者不等。",
                          first_value, value)


@report_check("identities", title="资金勾稽关系", reads=("doc",), order=110)
def check_identities(facts: ReportFacts) -> Iterator[Finding]:
    doc = facts.doc
    figures = read_figure_rows(doc)
    if figures:
        by_label: dict[str, list[Figure]] = defaultdict(list)
        for figure in figures:
            by_label[figure.label].append(figure)
        for item in texts(doc):
            for start, sentence in sentences(item.text):
                for clause in re.split(r"[；;。]", sentence):
                    if "=" not in clause:
                        continue
                    yield from _identity(clause, by_label, item.place(doc, start + sentence.find(clause)))
    for usage in find_usages(doc):
        total = usage.total.base_value
        spent = sum((value for value, _ in usage.items), ZERO)
        for segment in doc.segments:
            if segment.kind != "paragraph":
                continue
            numbers = [n for n in quantities(segment.text) if n.measure == "money"]
            if not any(n.base_value == total for n in numbers):
                continue
            for number in numbers:
                if "结余" not in label_before(segment.text, number.start):
                    continue
                expected = total - spent
                if q(expected) != q(number.base_value):
                    parts = " + ".join(s(value) for value, _ in usage.items)
                    yield finding("fund", "error", [doc.place(segment, number.start, number.end), usage.total_place, *[p for _, p in usage.items]],
                                  f"报告写{label_before(segment.text, number.start)} {s(number.base_value)}万元，但资金{s(total)}万元减去所列支出 {parts} = {s(spent)}万元，应结余{s(expected)}万元，相差{s(number.base_value - expected)}万元。",
                                  number.base_value, expected)


@report_check("balances", title="结余 = 资金 − 支出", reads=("doc",), order=120)
def check_balances(facts: ReportFacts) -> Iterator[Finding]:
    doc = facts.doc
    project = doc.doc.meta.project
    for segment in doc.segments:
        if segment.kind != "paragraph" or "结余" not in segment.text:
            continue
        money = [n for n in quantities(segment.text) if n.measure == "money"]
        labelled = [(n, label_before(segment.text, n.start)) for n in money]
        balances = [n for n, label in labelled if "结余" in label and "资金" not in label[:-2] or label.endswith("结余")]
        if len(balances) != 1:
            continue
        balance = balances[0]
        sources = [n for n, label in labelled if n.start < balance.start and fund_key(label, project) in ("budget", "received")]
        spent = [n for n, label in labelled if n.start < balance.start and fund_key(label, project) == "spent"]
        if not sources or not spent:
            continue
        if any(q(a.base_value - b.base_value) == q(balance.base_value) for a in sources for b in spent):
            continue
        a, b = sources[-1], spent[-1]
        expected = a.base_value - b.base_value
        yield finding("fund", "error", [doc.place(segment, balance.start, balance.end), doc.place(segment, a.start, a.end)],
                      f"报告写结余 {balance.text}{balance.unit or ''}，但 {a.text}{a.unit or ''} − {b.text}{b.unit or ''} = {s(expected)}{'万元' if a.unit == b.unit == '万元' else ''}。",
                      balance.base_value, expected)
