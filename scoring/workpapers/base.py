"""What a sheet kind declares, and what the sheets read put together before the case is built."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.plugins import Registry
from scoring.io import Problem
from scoring.workpapers.grid import Column, Grid, Header


@dataclass
class LeafRow:
    """One 末级指标 row of a 评分表."""

    path: list[str]
    weight: Decimal | None
    score: Decimal | None
    explain: str
    criteria: str
    note: str
    rule_cell: str
    where: str
    row: int


@dataclass
class FindingRow:
    """One row of a 问题清单, its merged or blank unit/project cells filled from above."""

    values: dict[str, Any]
    indicator: str
    where: str
    row: int
    indicator_col: int | None = None
    source: str = ""
    indicator_where: str = ""


@dataclass
class TargetRow:
    """One row of a 基础数据 / 绩效目标完成表: the measured inputs of a rule."""

    name: str
    target: Decimal | None
    actual: Decimal | None
    unit: str
    where: str


@dataclass
class Parts:
    """Everything the sheets of one import hold, before the case is built (nothing is written until it validates)."""

    leaves: list[LeafRow] = field(default_factory=list)
    parent_weights: dict[tuple[str, ...], Decimal] = field(default_factory=dict)
    parent_scores: dict[tuple[str, ...], Decimal] = field(default_factory=dict)
    stated_total: Decimal | None = None
    stated_full: Decimal | None = None
    places: dict[str, str] = field(default_factory=dict)
    """Where each stated figure is written (stated.places): total → the 合计 row's 得分 cell, a leaf's path → its row."""
    findings: list[FindingRow] = field(default_factory=list)
    fund_lines: list[dict[str, Any]] = field(default_factory=list)
    fund_totals: dict[str, Decimal] = field(default_factory=dict)
    targets: list[TargetRow] = field(default_factory=list)
    surveys: list[tuple[str, Decimal, Decimal | None, str]] = field(default_factory=list)
    """(调查对象, 满意度 %, 样本数, where)."""
    survey_overall: Decimal | None = None
    project: dict[str, Any] = field(default_factory=dict)
    grading: list[tuple[str, Decimal]] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the reading inferred or could not use, for the user (合计 ≠ column sums, rows skipped)."""
    sheets: list[tuple[str, str, str, int]] = field(default_factory=list)
    """(file, sheet, kind label, rows read)."""


Reader = Callable[[Grid, Header, Parts, list[Problem]], int]


@dataclass(frozen=True)
class SheetKind:
    """One kind of working paper: the columns that identify it and the function that reads its rows.

    ``priority`` orders the kinds when one header could be read as two (a 评分表
    with 目标值 columns is a 评分表); ``hints`` are sheet-name words that settle
    a tie and name the sheet a user meant when its header is missing.
    """

    name: str
    label: str
    columns: tuple[Column, ...]
    read: Reader
    hints: tuple[str, ...] = ()
    priority: int = 50
    any_of: tuple[str, ...] = ()
    """At least one of these roles must be present too (a 资金明细 needs some amount column)."""


#: Every sheet kind by name: the built-ins and those of installed plugins.
SHEET_KINDS: Registry[SheetKind] = Registry("register_sheet_kinds", "工作底稿表", builtins=("scoring.workpapers.kinds",))


def title_above(grid: Grid, header: Header) -> str:
    """The title row above a header (the first non-empty single text above it), if any."""
    for r in range(header.row - 1, 0, -1):
        texts = [str(v).strip() for v in grid.rows[r - 1] if v not in (None, "")]
        if len(set(texts)) == 1 and len(texts[0]) >= 4:
            return texts[0]
    return ""
