"""基础数据 / 绩效目标完成表: 指标/目标值/实际完成值/单位, the measured inputs of ratio, target and tiered rules."""

from __future__ import annotations

import re

from scoring.io import Problem
from scoring.workpapers.base import Parts, SheetKind, TargetRow
from scoring.workpapers.grid import Column, Grid, Header, is_total

COLUMNS = (
    Column("name", ("指标", "指标名称", "绩效指标", "考核指标", "三级指标", "末级指标"), required=True),
    Column("target", ("目标值", "年度目标值", "年度指标值", "计划值", "指标值", "年度目标"), required=True),
    Column("actual", ("实际完成值", "实际值", "完成值", "实际完成", "实际完成情况"), required=True),
    Column("unit", ("单位", "计量单位")),
)


def _value(grid: Grid, r: int, col: int, label: str, problems: list[Problem]) -> tuple[object, str]:
    """A target cell may read ``≥95%`` or ``100%``: the number and whether a percent sign came with it."""
    text = grid.text(r, col)
    cleaned = re.sub(r"^[≥≤>=<＞＜]+|及以上$|以上$|以内$", "", text)
    if cleaned != text:
        grid.rows[r - 1][col - 1] = cleaned
    return grid.number(r, col, label, problems), "%" if "%" in text or "％" in text else ""


def read(grid: Grid, header: Header, parts: Parts, problems: list[Problem]) -> int:
    cols = header.columns
    count = 0
    for r in range(header.row + 1, len(grid.rows) + 1):
        name = re.sub(r"\s+", "", grid.text(r, cols["name"]))
        if not name or is_total(name):
            continue
        target, t_unit = _value(grid, r, cols["target"], "目标值", problems)
        actual, a_unit = _value(grid, r, cols["actual"], "实际完成值", problems)
        unit = grid.text(r, cols.get("unit")) or t_unit or a_unit
        count += 1
        parts.targets.append(TargetRow(name, target, actual, unit, grid.where(r, None, name)))  # type: ignore[arg-type]
    return count


KIND = SheetKind(name="targets", label="基础数据", columns=COLUMNS, read=read, hints=("基础数据", "目标", "完成"), priority=40)
