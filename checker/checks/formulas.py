"""Formulas written out in the text: ``a × b = c`` and ``a ÷ b = c``, recomputed."""

from __future__ import annotations

from collections.abc import Iterator

from checker.checks.base import finding, q, report_check, truncated
from checker.facts import ReportFacts
from checker.findings import Finding
from checker.statements import is_percent
from scoring.numbers import HUNDRED, fmt_short
from scoring.results import Severity


@report_check("formulas", title="正文算式", reads=("formulas",), order=90)
def check_formulas(facts: ReportFacts) -> Iterator[Finding]:
    for formula in facts.formulas:
        a, b, c = formula.a, formula.b, formula.c
        factor = b.value / HUNDRED if is_percent(b) else b.value
        if formula.kind == "times":
            expected = a.value * factor
            shown = f"{a.text} × {b.text}"
        else:
            if b.value == 0:
                continue
            expected = a.base_value / b.base_value if a.measure == b.measure == "money" else a.value / b.value
            expected = expected * HUNDRED if is_percent(c) else expected
            shown = f"{a.text} ÷ {b.text}"
        places = c.decimals
        if q(expected, places) != c.value:
            severity: Severity = "warning" if truncated(expected, places) == c.value else "error"
            unit = "%" if is_percent(c) else (c.unit or "")
            yield finding("ratio", severity, [formula.place],
                          f"算式“{formula.quote}”有误：{shown} = {fmt_short(q(expected, max(places, 2)), max(places, 2))}{unit}，报告写 {c.text}{'' if is_percent(c) else unit}。"
                          + ("（末位为截尾而非四舍五入）" if severity == "warning" else ""), c.value, q(expected, max(places, 2)))
