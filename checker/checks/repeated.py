"""Repeated figures: the same fund, count or indicator figure written differently in two places."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from checker.checks.base import finding, q, report_check, s
from checker.facts import ReportFacts
from checker.findings import Finding
from checker.statements import Mention
from checker.tree import Value

_FUND_NAMES = {"budget": "预算", "received": "实际到位资金", "spent": "实际支出"}


@report_check("mentions", title="同一资金或数量前后一致", reads=("fund_mentions", "count_mentions"), order=10)
def check_mentions(facts: ReportFacts) -> Iterator[Finding]:
    for mentions, fund in ((facts.fund_mentions, True), (facts.count_mentions, False)):
        dates: dict[str, set[tuple[int, ...]]] = defaultdict(set)
        for mention in mentions:
            if mention.when is not None:
                dates[mention.key].add(mention.when)
        groups: dict[tuple[str, tuple[int, ...] | None], list[Mention]] = defaultdict(list)
        for mention in mentions:
            when = mention.when
            if when is None and len(dates[mention.key]) == 1:
                when = next(iter(dates[mention.key]))  # an undated figure is the one dated figure (004 has two: no guess)
            groups[(mention.key, when)].append(mention)
        for (key, _), group in groups.items():
            distinct: dict[Decimal, Mention] = {}
            for mention in group:
                distinct.setdefault(q(mention.value, 4), mention)
            lines = {m.place.line for m in distinct.values()}
            if len(distinct) < 2 or len(lines) < 2:
                continue  # several values for one label in one list (平台A 3401条，平台B 2232条…) are not a repetition
            shown = list(distinct.values())
            what = _FUND_NAMES[key] if fund else f"“{shown[0].label}”"
            unit = "万元" if fund else key.split("|")[1]
            listed = "；".join(f"第{m.place.line}行写 {s(m.value)}{unit}" for m in shown)
            yield finding("repeated", "error", [m.place for m in shown],
                          f"同一数据{what}前后不一致：{listed}。请核实并统一。", shown[0].value, shown[1].value)


def _distinct(values: list[Value]) -> dict[Decimal, Value]:
    distinct: dict[Decimal, Value] = {}
    for value in values:
        distinct.setdefault(q(value.value), value)
    return distinct


@report_check("repeated_nodes", title="同一指标的分值、得分前后一致", reads=("tree",), order=20)
def check_repeated_nodes(facts: ReportFacts) -> Iterator[Finding]:
    for node in facts.tree.walk():
        for values, label in ((node.weights, "分值"), (node.scores, "得分")):
            distinct = _distinct(values)
            if len(distinct) > 1:
                listed = "；".join(f"第{v.place.line}行写作 {s(v.value)}" for v in distinct.values())
                yield finding("repeated", "error", [v.place for v in distinct.values()],
                              f"“{node.path}”的{label}前后不一致：{listed}。请核实并统一。",
                              values[0].value, list(distinct.values())[1].value)
    for values, label in ((facts.tree.totals, "总得分"), (facts.tree.full_scores, "总分值")):
        distinct = _distinct(values)
        if len(distinct) > 1:
            listed = "；".join(f"第{v.place.line}行写作 {s(v.value)}" for v in distinct.values())
            yield finding("repeated", "error", [v.place for v in distinct.values()], f"评分表中的{label}前后不一致：{listed}。",
                          values[0].value, list(distinct.values())[1].value)
