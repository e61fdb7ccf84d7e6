"""Column-wise fund tables: 序号 / 项目名称 / 预算(指标)金额 / 到位金额 / 支付金额 / 结余 / 执行率 / 备注.

:func:`read_fund_tables` finds every table whose header names at least two
money columns (004's 表1-1, 000's 表1, the corpus reports' 子项目 tables) and
reads its item rows and its 合计 row as numbers in 万元, with the table's unit
(``（元）`` in a header, a ``单位：万元`` line before the table). A 000-style
row broken in two by the export (its last cells on a line of their own) is
joined back. The checks in :mod:`checker.checks.fund_tables` recompute each
row and each column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from checker.document import ReportDoc, Segment, Table, squash
from checker.findings import Place
from checker.tables import single_number

#: Column roles by header words, tried in order (the first match wins).
_ROLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("seq", re.compile(r"^(?:序号|编号)$")),
    ("name", re.compile(r"(?:名称|内容)$|^(?:合同|项目|子项目|单位|建设单位|承建单位|供应商)$")),
    ("rate", re.compile(r"率|比例")),
    ("balance", re.compile(r"结余|结转|余额")),
    ("contract", re.compile(r"合同|中标")),
    ("received", re.compile(r"到位|下达")),
    ("spent", re.compile(r"支付|支出|执行数|使用|拨付")),
    ("budget", re.compile(r"预算|指标金额|计划|安排")),
    ("note", re.compile(r"备注|说明")),
    ("name", re.compile(r"项目|单位")),
)
MONEY_ROLES = ("budget", "received", "contract", "spent", "balance")
_TOTAL_LABELS = ("合计", "总计")
_MAX_HEADER = 20
_EMPTY = ("-", "—", "－", "/", "\\", "无")
_YUAN = re.compile(r"[（(]\s*元\s*[）)]|单位[：:]\s*元(?!\w)")
_WAN = re.compile(r"万元")
_YEAR = re.compile(r"(20\d{2})\s*年")


@dataclass(frozen=True)
class FundColumn:
    index: int
    role: str
    header: str
    year: int | None = None


@dataclass
class FundCell:
    value: Decimal | None  # 万元 for money, % for a rate; None for a blank or "\\" cell
    text: str
    decimals: int = 2
    written: bool = True  # False for "-" (counted as 0) and blank cells


@dataclass
class FundRow:
    name: str
    cells: dict[int, FundCell]  # column index → cell
    segment: Segment
    place: Place


@dataclass
class FundTable:
    columns: list[FundColumn]
    rows: list[FundRow] = field(default_factory=list)
    total: FundRow | None = None
    scale: Decimal = Decimal(1)  # cell value × scale = 万元
    unit: str = "万元"
    caption: str = ""
    header_place: Place | None = None
    before: list[Segment] = field(default_factory=list)  # the paragraphs just before the table

    def column(self, role: str) -> list[FundColumn]:
        return [column for column in self.columns if column.role == role]

    @property
    def money_columns(self) -> list[FundColumn]:
        return [column for column in self.columns if column.role in MONEY_ROLES]


def _role(header: str) -> str | None:
    for role, pattern in _ROLES:
        if pattern.search(header):
            return role
    return None


def _header(cells: list[str]) -> list[FundColumn] | None:
    columns = []
    if any(len(squash(cell)) > _MAX_HEADER for cell in cells):
        return None
    for index, cell in enumerate(cells):
        header = squash(cell)
        role = _role(header)
        if role is None and re.search(r"金额|资金|[（(]万?元[）)]", header):
            role = "money"
        if role is not None:
            year = _YEAR.search(header)
            columns.append(FundColumn(index, role, header, int(year.group(1)) if year else None))
    if sum(1 for column in columns if column.role in MONEY_ROLES) < 2:
        return None
    if any(column.role in ("weight", "score") for column in columns) or any(re.search(r"分值|得分|权重|指标名称|一级指标", squash(c)) for c in cells):
        return None
    return columns


def _cell(text: str, rate: bool) -> FundCell:
    stripped = text.strip()
    if not stripped:
        return FundCell(None, text, written=False)
    if stripped in _EMPTY:
        return FundCell(None if stripped in ("\\", "/") else Decimal(0), text, written=False)
    number = single_number(stripped)
    if number is None or (rate and number.unit not in ("%", "％") and "%" not in stripped):
        return FundCell(None, text)
    return FundCell(number.value, text, number.decimals)


def _is_seq(cell: str) -> bool:
    return bool(re.fullmatch(r"\d{1,3}", cell.strip()))


def _rows(table: Table, start: int) -> list[list[Segment]]:
    """The rows after the header, a row broken in two joined back (its second part has no 序号)."""
    groups: list[list[Segment]] = []
    for segment in table.rows[start:]:
        first = segment.cells[0] if segment.cells else ""
        if groups and not _is_seq(first) and squash(first) not in _TOTAL_LABELS and _is_seq(groups[-1][0].cells[0] if groups[-1][0].cells else ""):
            if all(single_number(cell) is not None or not cell.strip() for cell in segment.cells):
                groups[-1].append(segment)
                continue
        groups.append([segment])
    return groups


def _unit(doc: ReportDoc, table: Table, columns: list[FundColumn]) -> tuple[Decimal, str, list[Segment]]:
    first = table.rows[0].index
    before = [s for s in doc.segments[max(0, first - 4): first] if s.kind != "table_row"]
    headers = "".join(column.header for column in columns)
    lines = "".join(s.text for s in before[-2:])
    if _YUAN.search(headers) or (_YUAN.search(lines) and not _WAN.search(headers)):
        return Decimal("0.0001"), "元", before
    return Decimal(1), "万元", before


def read_fund_tables(doc: ReportDoc) -> list[FundTable]:
    """Every fund table of ``doc`` (see the module docstring)."""
    found: list[FundTable] = []
    for table in doc.tables:
        for h, segment in enumerate(table.rows[:3]):
            columns = _header(segment.cells)
            if columns is not None:
                break
        else:
            continue
        scale, unit, before = _unit(doc, table, columns)
        fund = FundTable(columns, scale=scale, unit=unit, header_place=doc.place(table.rows[h]), before=before,
                         caption=next((s.text for s in reversed(before) if re.match(r"^\s*表\s*\d", s.text)), ""))
        width = len(segment.cells)
        name_column = next((c.index for c in columns if c.role == "name"), 1 if width > 1 else 0)
        for group in _rows(table, h + 1):
            cells = [cell for part in group for cell in part.cells]
            label = squash(cells[0]) if cells else ""
            is_total = label in _TOTAL_LABELS or (len(cells) > 1 and squash(cells[1]) in _TOTAL_LABELS and not _is_seq(cells[0]))
            if is_total and len(cells) < width:
                # a 合计 row whose label spans the 序号 and name cells: its numbers fill the number columns in order
                numbers = [c for c in cells if c.strip() and squash(c) not in _TOTAL_LABELS]
                targets = [c.index for c in columns if c.role in (*MONEY_ROLES, "money", "rate")]
                mapped = dict(zip(targets, numbers)) if len(numbers) <= len(targets) else {}
            else:
                mapped = {c.index: cells[c.index] for c in columns if c.index < len(cells)}
            row = FundRow(
                name="合计" if is_total else squash(cells[name_column]) if name_column < len(cells) else "",
                cells={index: _cell(text, next(c.role for c in columns if c.index == index) == "rate") for index, text in mapped.items()},
                segment=group[0],
                place=doc.place(group[0]),
            )
            if is_total:
                fund.total = row
            elif row.cells:
                fund.rows.append(row)
        if fund.rows:
            found.append(fund)
    return found
