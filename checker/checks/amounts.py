"""Repeated amounts: one contract, payment, allocation or sub-project figure written differently in two places.

001 writes its 2023 allocation as 1456 万元 in one paragraph and 1465 万元 in
another; a sub-project's 合同金额 in the text must be the one in its fund-table
row. Amounts are compared when they are of the same kind, about the same
subject and of the same date (see :mod:`checker.amounts`).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from checker.amounts import KIND_NAMES, Amount, same_subject
from checker.checks.base import finding, q, report_check, s
from checker.facts import ReportFacts
from checker.findings import Finding

_TIMELESS = ("contract", "bid", "budget")


def _comparable(a: Amount, b: Amount) -> bool:
    if a.kind != b.kind or not same_subject(a.subject, b.subject):
        return False
    if a.in_table or b.in_table:
        text = b if a.in_table else a
        return bool(a.subject and b.subject) and (text.when is None or text.kind in _TIMELESS or text.in_table)
    return a.subject == b.subject and a.when == b.when and (a.when is not None or bool(a.subject))


def _groups(amounts: tuple[Amount, ...]) -> list[list[Amount]]:
    parent = list(range(len(amounts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(amounts):
        for j in range(i):
            if _comparable(a, amounts[j]):
                parent[root(i)] = root(j)
    groups: dict[int, list[Amount]] = {}
    for i, amount in enumerate(amounts):
        groups.setdefault(root(i), []).append(amount)
    return list(groups.values())


def _what(amount: Amount, group: list[Amount]) -> str:
    subject = max((a.subject for a in group), key=len)
    when = next((a.when for a in group if a.when), None)
    year = f"{when[0]}年" if when and when[0] else ""
    return f"“{subject}”的{KIND_NAMES[amount.kind]}" if subject else f"{year}{KIND_NAMES[amount.kind]}"


@report_check("amounts", title="合同、支付、下拨及子项目金额前后一致", reads=("amounts",), order=130)
def check_amounts(facts: ReportFacts) -> Iterator[Finding]:
    for group in _groups(facts.amounts):
        distinct: dict[Decimal, Amount] = {}
        for amount in group:
            distinct.setdefault(q(amount.value, 4), amount)
        if len(distinct) < 2 or len({a.place.line for a in distinct.values()}) < 2:
            continue
        shown = list(distinct.values())
        listed = "；".join(f"第{a.place.line}行{'（表）' if a.in_table else ''}写 {s(a.value)}万元" for a in shown)
        yield finding("repeated", "error", [a.place for a in shown],
                      f"同一数据{_what(shown[0], group)}前后不一致：{listed}。请核实并统一。", shown[0].value, shown[1].value)
