"""Fund tables recomputed: per row 结余 = 到位 − 支付 and 执行率 = 支付 ÷ 到位; each column against its 合计 row.

Cells are rounded to their written decimals, so a column of ``n`` rows may
differ from its 合计 by up to ``n`` half-units (004's 表1-1: 5412.68 summed,
5412.69 written): that is rounding, not an error, and is not reported. A
table without a 合计 row is checked against the total stated in the
paragraph just before it (000: 实际拨付 36940706.54 元 = the 2023 payment column).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from checker.checks.base import finding, pct, q, report_check, s, truncated
from checker.facts import ReportFacts
from checker.findings import Finding
from checker.fundtables import FundCell, FundColumn, FundRow, FundTable
from checker.statements import label_before, quantities
from scoring.numbers import HUNDRED
from scoring.results import Severity

ZERO = Decimal(0)
_HALF = Decimal("0.5")


def _value(row: FundRow, column: FundColumn | None) -> Decimal | None:
    if column is None:
        return None
    cell = row.cells.get(column.index)
    return cell.value if cell is not None else None


def _tolerance(cells: list[FundCell]) -> Decimal:
    """Half a unit of the last written decimal, per rounded cell summed."""
    return sum((_HALF * Decimal(1).scaleb(-cell.decimals) for cell in cells if cell.written), ZERO)


def _show(value: Decimal, table: FundTable) -> str:
    return f"{s(value)}{table.unit}"


def _name(table: FundTable) -> str:
    return f"“{table.caption.strip()}”" if table.caption.strip() else "资金表"


def _row_checks(table: FundTable) -> Iterator[Finding]:
    balance = next(iter(table.column("balance")), None)
    rate = next(iter(table.column("rate")), None)
    spent_columns = table.column("spent")
    sources = [*table.column("received"), *table.column("budget")]
    bases = [*sources, *table.column("contract")]
    if not spent_columns or not bases:
        return
    for row in [*table.rows, *([table.total] if table.total is not None else [])]:
        paid = [(column, value) for column in spent_columns if (value := _value(row, column)) is not None]
        if not paid:
            continue
        stated = _value(row, balance)
        available = [(column, value) for column in sources if (value := _value(row, column)) is not None]
        if stated is not None and balance is not None and available:
            cell = row.cells[balance.index]
            places = cell.decimals if cell.written else 2
            if not any(q(value - amount, places) == q(stated, places) for _, value in available for _, amount in paid):
                (column, value), (spent, amount) = available[0], paid[0]
                yield finding("fund", "error", [row.place, *([table.header_place] if table.header_place else [])],
                              f"{_name(table)}中“{row.name}”一行：结余写作 {_show(stated, table)}，但{column.header} {s(value)} − {spent.header} {s(amount)} = {_show(value - amount, table)}。",
                              stated, value - amount)
        written = _value(row, rate)
        if written is None or rate is None:
            continue
        places = row.cells[rate.index].decimals
        candidates = [(spent, amount, column, value, amount / value * HUNDRED)
                      for column in bases if (value := _value(row, column)) is not None and value > 0 for spent, amount in paid]
        if candidates and not any(q(expected, places) == q(written, places) for *_, expected in candidates):
            spent, amount, column, value, expected = candidates[0]
            severity: Severity = "warning" if truncated(expected, places) == written else "error"
            yield finding("ratio", severity, [row.place],
                          f"{_name(table)}中“{row.name}”一行：{rate.header}写作 {written}%，但{spent.header} {s(amount)} ÷ {column.header} {s(value)} = {pct(expected, max(places, 2))}。",
                          written, q(expected, max(places, 2)))


def _column_sums(table: FundTable) -> Iterator[Finding]:
    total = table.total
    if total is None:
        return
    for column in table.money_columns:
        stated = _value(total, column)
        cells = [row.cells[column.index] for row in table.rows if column.index in row.cells]
        values = [cell.value for cell in cells if cell.value is not None]
        if stated is None or not values:
            continue
        summed = sum(values, ZERO)
        if abs(summed - stated) > _tolerance(cells):
            yield finding("fund", "error", [total.place, *[row.place for row in table.rows[:2]]],
                          f"{_name(table)}的“{column.header}”列合计写作 {_show(stated, table)}，但各行相加为 {_show(summed, table)}，相差 {_show(abs(stated - summed), table)}。",
                          stated, summed)


_TEXT_ROLES = (("received", ("到位",)), ("spent", ("支付", "支出", "拨付")), ("budget", ("预算", "安排")))


def _role_of(label: str) -> str | None:
    if label.startswith("应") or "应拨" in label or "计划" in label:
        return "budget"
    for role, words in _TEXT_ROLES:
        if any(word in label for word in words):
            return role
    return None


def _text_totals(facts: ReportFacts, table: FundTable) -> Iterator[Finding]:
    """A table without a 合计 row against the totals stated in the paragraph before it."""
    if table.total is not None or not table.before:
        return
    paragraph = next((segment for segment in reversed(table.before) if segment.kind == "paragraph" and quantities(segment.text)), None)
    if paragraph is None:
        return
    years = [int(y) for y in re.findall(r"(20\d{2})\s*年", paragraph.text)]
    for number in quantities(paragraph.text):
        if number.measure != "money":
            continue
        role = _role_of(label_before(paragraph.text, number.start))
        columns = table.column(role) if role else []
        if not columns:
            continue
        sums = []
        for column in columns:
            cells = [row.cells[column.index] for row in table.rows if column.index in row.cells]
            values = [cell.value for cell in cells if cell.value is not None]
            if values:
                sums.append((column, sum(values, ZERO) * table.scale, _tolerance(cells) * table.scale))
        if not sums or any(abs(summed - number.base_value) <= tolerance for _, summed, tolerance in sums):
            continue
        dated = [item for item in sums if item[0].year is not None and item[0].year in years]
        if len(sums) > 1 and len(dated) != 1:
            continue  # several columns could be meant: no guess
        column, summed, _ = dated[0] if dated else sums[0]
        shown = summed / table.scale
        yield finding("fund", "error", [facts.doc.place(paragraph, number.start, number.end), *([table.header_place] if table.header_place else [])],
                      f"正文写{label_before(paragraph.text, number.start)} {number.text}{number.unit or ''}，但{_name(table)}“{column.header}”列各行相加为 {_show(shown, table)}。",
                      number.base_value, summed)


@report_check("fund_tables", title="资金明细表逐行与合计", reads=("doc", "fund_tables"), order=125)
def check_fund_tables(facts: ReportFacts) -> Iterator[Finding]:
    for table in facts.fund_tables:
        yield from _row_checks(table)
        yield from _column_sums(table)
        yield from _text_totals(facts, table)
