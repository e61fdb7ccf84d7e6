"""Rates: a stated 得分率 against 得分 ÷ 分值 (table rows, 合计/小计 rows, category paragraphs)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from checker.checks.base import finding, pct, places_of, q, report_check, s, truncated
from checker.facts import ReportFacts
from checker.findings import Finding, Place
from scoring.numbers import HUNDRED
from scoring.results import Severity

ZERO = Decimal(0)


@report_check("rates", title="得分率", reads=("tables", "categories"), order=40)
def check_rates(facts: ReportFacts) -> Iterator[Finding]:
    checked: set[tuple[int, Decimal]] = set()
    rows: list[tuple[Decimal | None, Decimal | None, Decimal | None, Place, str]] = []
    for table in facts.tables:
        for row in table.rows:
            rows.append((row.weight, row.score, row.rate, row.place, "/".join(row.path)))
        for summary in table.totals + table.subtotals:
            rows.append((summary.weight, summary.score, summary.rate, summary.place, "/".join(summary.parent) or "合计"))
    for statement in facts.categories:
        rows.append((statement.weight, statement.score, statement.rate, statement.place, " > ".join(statement.section[-1:])))
    for weight, score, rate, place, name in rows:
        if rate is None or weight is None or weight == ZERO or score is None or (place.line, rate) in checked:
            continue
        checked.add((place.line, rate))
        places = places_of(rate)
        expected = score / weight * HUNDRED
        if q(rate, places) != q(expected, places):
            severity: Severity = "warning" if truncated(expected, places) == rate else "error"
            yield finding("rate", severity, [place], f"“{name}”得分率写作 {rate}%，但得分 {s(score)} ÷ 分值 {s(weight)} = {pct(expected, max(places, 2))}。",
                          rate, q(expected, max(places, 2)))
