"""The report's scores re-applied where its table gives what the rule needs, without a written formula.

- ``ratio_scores``: a leaf scored "按比例" (``得分等于指标分值*预算执行率``, ``满意度……否则按比例得分``,
  ``……=95.09%，按比例计分``) must score 分值 × 比率 (capped at 分值), the rate read from its note;
- ``levels``: a leaf whose 实际完成值 is a level (好/较好/一般/较差/差) scores that level's share of its
  分值 (100/80/60/40/20 %, or the shares the report writes, e.g. ``较好（80%）``);
- ``upper_bounds``: a leaf whose 目标值 is an upper bound (``15%及其以下``, ``≤5%``, ``不超过3天``):
  within the bound it should have its full 分值; above it, not.

Rule texts beyond these patterns (tiered rules, ranges) wait for the rule-text parser of issue 12.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from checker.checks.base import finding, q, report_check, s
from checker.document import squash
from checker.facts import ReportFacts
from checker.findings import Finding
from checker.statements import is_percent, label_before, quantities
from scoring.numbers import HUNDRED
from scoring.numparse import find_numbers
from scoring.rules import REGISTRY, RuleContext
from scoring.rules.levels import DEFAULT_SCALE
from scoring.results import Severity

_RATIO_SCORED = re.compile(r"按比例(?:计分|得分|计算)|得分(?:等于|=)指标?分值\s*[*×xX]|分值\s*[*×xX]\s*[\u4e00-\u9fff]*率")
_LEVEL_SHARE = re.compile(r"(较好|一般|较差|好|差)\s*[（(：:为得]?\s*(\d{1,3})\s*[%％]")
_UPPER = re.compile(r"以下|以内|不高于|不超过|≤|<=|＜|<")


def _rates(text: str) -> list[tuple[Decimal, str]]:
    return [(n.value, label_before(text, n.start)) for n in quantities(text) if is_percent(n)]


@report_check("ratio_scores", title="按比例得分的指标：得分 = 分值 × 比率", reads=("tree",), order=82)
def check_ratio_scores(facts: ReportFacts) -> Iterator[Finding]:
    for leaf in facts.tree.leaves():
        row = leaf.row
        if row is None or leaf.weight is None or leaf.score is None:
            continue
        rule_text = f"{row.criteria or ''}\n{row.note or ''}"
        if not _RATIO_SCORED.search(rule_text):
            continue
        rates = _rates(row.note or "")
        if not rates:
            continue
        expected = [(rate, min(leaf.weight * rate / HUNDRED, leaf.weight)) for rate, _ in rates]
        if any(q(value) == q(leaf.score) for _, value in expected):
            continue
        named = [rate for rate, label in rates if squash(leaf.name)[-3:] in label]
        if len(rates) > 1 and len(named) != 1:
            continue  # several rates in the note (004 lists each survey's 满意度): no guess
        rate = named[0] if named else rates[0][0]
        value = min(leaf.weight * rate / HUNDRED, leaf.weight)
        yield finding("rule", "error", [row.place],
                      f"“{leaf.name}”按比例得分：分值 {s(leaf.weight)} × {rate}% = {s(q(value))} 分，评分表得分 {s(leaf.score)}。",
                      leaf.score, q(value))


def _scale(facts: ReportFacts, text: str) -> tuple[dict[str, Decimal], bool]:
    """The level shares the report writes (in the row, else anywhere), else the common ones; and whether written."""
    for source in (text, facts.doc.text):
        shares = {name: Decimal(value) for name, value in _LEVEL_SHARE.findall(source)}
        if len(shares) >= 3:
            return {**DEFAULT_SCALE, **shares}, True
    return dict(DEFAULT_SCALE), False


@report_check("levels", title="定性分级（好/较好/一般/较差/差）", reads=("doc", "tree"), order=83)
def check_levels(facts: ReportFacts) -> Iterator[Finding]:
    for leaf in facts.tree.leaves():
        row = leaf.row
        if row is None or leaf.weight is None or leaf.score is None or not row.actual:
            continue
        level = squash(row.actual).strip("=＝")
        if level not in DEFAULT_SCALE:
            continue
        scale, written = _scale(facts, f"{row.criteria or ''}{row.note or ''}")
        rule = REGISTRY["levels"]
        outcome = rule.apply(rule.params.model_validate({"type": "levels", "level": level, "scale": scale}), RuleContext(weight=leaf.weight))
        if q(outcome.score) == q(leaf.score):
            continue
        severity: Severity = "error" if written else "warning"
        basis = "按报告所写的等级分值比例" if written else "按通用的 好/较好/一般/较差/差 = 100%/80%/60%/40%/20%"
        yield finding("rule", severity, [row.place],
                      f"“{leaf.name}”实际完成情况为“{level}”，{basis}，应得 {s(leaf.weight)} × {scale[level]}% = {s(q(outcome.score))} 分；评分表得分 {s(leaf.score)}。",
                      leaf.score, q(outcome.score))


def _bound(cell: str) -> Decimal | None:
    if not _UPPER.search(cell):
        return None
    numbers = [n for n in find_numbers(cell) if n.role == "quantity"]
    return numbers[0].value if len(numbers) == 1 else None


def _actual(cell: str) -> Decimal | None:
    numbers = [n for n in find_numbers(cell) if n.role == "quantity"]
    return numbers[0].value if len(numbers) == 1 and not _UPPER.search(cell) else None


@report_check("upper_bounds", title="上限型目标（X及以下）", reads=("tree",), order=84)
def check_upper_bounds(facts: ReportFacts) -> Iterator[Finding]:
    for leaf in facts.tree.leaves():
        row = leaf.row
        if row is None or leaf.weight is None or leaf.score is None or not row.target or not row.actual:
            continue
        bound, actual = _bound(row.target), _actual(row.actual)
        if bound is None or actual is None:
            continue
        if actual <= bound and q(leaf.score) < q(leaf.weight):
            yield finding("rule", "warning", [row.place],
                          f"“{leaf.name}”目标值 {row.target}（上限），实际完成值 {row.actual} 在上限之内，按目标应得满分 {s(leaf.weight)}；评分表得分 {s(leaf.score)}。请核实扣分理由。",
                          leaf.score, leaf.weight)
        elif actual > bound and q(leaf.score) >= q(leaf.weight):
            yield finding("rule", "warning", [row.place],
                          f"“{leaf.name}”目标值 {row.target}（上限），实际完成值 {row.actual} 已超过上限，评分表却给满分 {s(leaf.score)}。",
                          leaf.score, None)
