"""The report's own scoring rules re-applied: category target rules (003) and per-finding deductions."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from checker import rules as report_rules
from checker.checks.base import finding, q, report_check, s
from checker.facts import ReportFacts
from checker.findings import Finding
from scoring.ruletext import stated_count

ZERO = Decimal(0)


@report_check("target_rules", title="按报告自身的目标值评分规则", reads=("doc", "tree"), order=80)
def check_target_rules(facts: ReportFacts) -> Iterator[Finding]:
    for rule in report_rules.find_target_rules(facts.doc):
        root = facts.tree.root(rule.category)
        if root is None:
            continue
        for leaf in root.leaves():
            row = leaf.row
            if row is None or leaf.weight is None or leaf.score is None:
                continue
            target, actual = report_rules.target_value(row.target), report_rules.target_value(row.actual)
            if target is None or actual is None or target <= 0:
                continue
            expected, audit = report_rules.apply_target(rule.spec, leaf.weight, target, actual)
            if q(expected) != q(leaf.score):
                yield finding("rule", "error", [row.place, rule.place],
                              f"“{leaf.name}”目标值 {row.target}、实际完成值 {row.actual}，按报告自身的评分规则（“{rule.category}”类）：{audit}；报告却给 {s(leaf.score)} 分。",
                              leaf.score, q(expected))


@report_check("per_finding_rules", title="按报告自身的每例扣分规则", reads=("tree",), order=81)
def check_per_finding_rules(facts: ReportFacts) -> Iterator[Finding]:
    for leaf in facts.tree.leaves():
        row = leaf.row
        if row is None or leaf.weight is None or leaf.score is None:
            continue
        rule = report_rules.find_per_finding(row.criteria) or report_rules.find_per_finding(row.note)
        if rule is None:
            continue
        deduction = leaf.weight - leaf.score
        counted = stated_count(row.note, rule.unit)
        if counted is not None:
            count, same_sentence = counted
            expected = min(count * rule.per, leaf.weight)
            if q(expected) != q(deduction):
                yield finding("rule", "error" if same_sentence else "warning", [row.place],
                              f"“{leaf.name}”按“每{rule.unit}扣 {s(rule.per)} 分”，说明中共 {count} {rule.unit}，应扣 {s(expected)} 分、得 {s(leaf.weight - expected)} 分；评分表得分 {s(leaf.score)}（扣 {s(deduction)} 分）。",
                              leaf.score, leaf.weight - expected)
        elif ZERO < deduction < leaf.weight and (deduction / rule.per) != (deduction / rule.per).to_integral_value():
            yield finding("rule", "warning", [row.place],
                          f"“{leaf.name}”按“每{rule.unit}扣 {s(rule.per)} 分”评分，但扣分 {s(deduction)} 不是 {s(rule.per)} 的整数倍。", deduction, None)
