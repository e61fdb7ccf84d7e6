"""A worksheet as a grid of text, with merged cells filled and the header row found by column synonyms.

Working papers are typed by people: the header may sit below a title row, a
column may be called 得分 or 评价得分, a merged 一级指标 cell covers the rows
below it. :class:`Grid` gives every cell the value a reader sees, and
:func:`find_header` finds the row whose cells name the columns a sheet kind
needs, wherever it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from scoring.io import Problem
from scoring.numbers import to_decimal

#: Rows searched for a header (a title and a note or two may stand above it).
HEADER_SEARCH_ROWS = 15
TOTAL_WORDS = ("合计", "总计", "总分", "得分合计", "综合得分")
SUBTOTAL_WORDS = ("小计",)
_SPACE = re.compile(r"\s+")


def squash(value: Any) -> str:
    """A header cell's words without spaces, line breaks or a unit in brackets: ``分值（分）`` → ``分值``."""
    text = _SPACE.sub("", str(value or ""))
    return re.sub(r"[（(][^）)]*[）)]$", "", text)


def text_of(value: Any) -> str:
    """A cell as the text a reader sees (numbers without a trailing ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass
class Grid:
    """One worksheet's cells as text (1-based rows and columns, like Excel), merged ranges filled."""

    source: str
    sheet: str
    rows: list[list[Any]]
    merged: set[tuple[int, int]] = field(default_factory=set)
    """Cells covered by a merged range other than its top-left one."""

    @classmethod
    def of(cls, sheet: Worksheet, source: str) -> "Grid":
        values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
        width = max((len(row) for row in values), default=0)
        rows = [list(row) + [None] * (width - len(row)) for row in values]
        covered: set[tuple[int, int]] = set()
        for merged in sheet.merged_cells.ranges:
            top = rows[merged.min_row - 1][merged.min_col - 1] if merged.min_row <= len(rows) else None
            for r in range(merged.min_row, min(merged.max_row, len(rows)) + 1):
                for c in range(merged.min_col, merged.max_col + 1):
                    if (r, c) != (merged.min_row, merged.min_col) and c <= width:
                        rows[r - 1][c - 1] = top
                        covered.add((r, c))
        return cls(source, sheet.title, rows, covered)

    def cell(self, row: int, col: int | None) -> Any:
        if col is None or row < 1 or row > len(self.rows) or col < 1 or col > len(self.rows[row - 1]):
            return None
        return self.rows[row - 1][col - 1]

    def text(self, row: int, col: int | None) -> str:
        return text_of(self.cell(row, col))

    def where(self, row: int, col: int | None, label: str) -> str:
        column = f" {get_column_letter(col)}列" if col else ""
        return f"工作表“{self.sheet}”第{row}行{column}（{label}）"

    def problem(self, row: int, col: int | None, label: str, message: str) -> Problem:
        return Problem(self.source, row, self.where(row, col, label), message)

    def number(self, row: int, col: int | None, label: str, problems: list[Problem]) -> Decimal | None:
        """The number in a cell; text that is not a number is a problem with its sheet, row and column."""
        value = self.cell(row, col)
        if value is None or (isinstance(value, str) and value.strip() in ("", "-", "—", "－", "/", "无")):
            return None
        if isinstance(value, bool):
            problems.append(self.problem(row, col, label, f"应为数字（实际为 {value!r}）"))
            return None
        if isinstance(value, (int, float, Decimal)):
            return to_decimal(value)
        text = re.sub(r"[\s,，]|分$|万元$|元$", "", str(value))
        try:
            return to_decimal(text.rstrip("%％"))
        except ValueError:
            problems.append(self.problem(row, col, label, f"应为数字（实际为“{str(value).strip()[:30]}”）"))
            return None


@dataclass(frozen=True)
class Column:
    """A role a sheet kind reads (``score``) and the header words that name it, most specific first."""

    role: str
    words: tuple[str, ...]
    required: bool = False
    exact: bool = False  # the header must equal a word (short words such as 项目 would match too much)


@dataclass
class Header:
    row: int
    columns: dict[str, int]
    """Role → 1-based column."""
    repeated: dict[str, list[int]] = field(default_factory=dict)
    """Roles whose header appears more than once (分值 beside each level), every column in order."""


def match_role(cell: str, columns: Sequence[Column]) -> str | None:
    for column in columns:
        for word in column.words:
            if cell == word or (not column.exact and len(word) >= 4 and cell.startswith(word)):
                return column.role
    return None


def find_header(grid: Grid, columns: Sequence[Column]) -> Header | None:
    """The first row (within the first rows) naming every required column; the one naming most columns wins a tie."""
    best: Header | None = None
    for r in range(1, min(len(grid.rows), HEADER_SEARCH_ROWS) + 1):
        found: dict[str, int] = {}
        repeated: dict[str, list[int]] = {}
        for c in range(1, len(grid.rows[r - 1]) + 1):
            if (r, c) in grid.merged and grid.cell(r, c - 1) == grid.cell(r, c):
                continue  # a header merged across two columns names one column
            role = match_role(squash(grid.cell(r, c)), columns)
            if role is not None:
                repeated.setdefault(role, []).append(c)
                found.setdefault(role, c)
        if all(column.role in found for column in columns if column.required):
            if best is None or len(found) > len(best.columns):
                best = Header(r, found, repeated)
    return best


def is_total(label: str) -> bool:
    return squash(label) in TOTAL_WORDS


def is_subtotal(label: str) -> bool:
    return any(word in squash(label) for word in SUBTOTAL_WORDS)


def row_blank(grid: Grid, row: int) -> bool:
    return all(text_of(value) == "" for value in grid.rows[row - 1])
