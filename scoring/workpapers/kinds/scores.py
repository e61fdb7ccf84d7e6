"""评分表: 一级/分值/二级/分值/三级/分值/指标解释/评价标准/得分/评价说明, merged level cells, a 合计 row."""

from __future__ import annotations

import re

from scoring.io import Problem
from scoring.workpapers.base import LeafRow, Parts, SheetKind, title_above
from scoring.workpapers.grid import Column, Grid, Header, is_subtotal, is_total

LEVEL_ROLES = ("level1", "level2", "level3", "level4")
COLUMNS = (
    Column("rate", ("得分率", "得分比例")),  # read before 得分 so that it is not taken for the score
    Column("level1", ("一级指标", "一级", "一级指标名称"), required=True),
    Column("level2", ("二级指标", "二级", "二级指标名称")),
    Column("level3", ("三级指标", "三级", "三级指标名称")),
    Column("level4", ("四级指标", "四级")),
    Column("weight", ("分值", "权重", "标准分", "满分", "指标分值", "权重分"), required=True),
    Column("explain", ("指标解释", "指标说明", "指标内涵", "指标释义")),
    Column("criteria", ("评价标准", "评分标准", "评分方法", "评分规则", "评分细则", "计分方法")),
    Column("rule", ("计分规则（机读）", "计分规则")),
    Column("score", ("得分", "评价得分", "实际得分", "自评分", "评分")),
    Column("note", ("评价说明", "扣分原因", "扣分理由", "扣分说明", "得分说明", "评分说明", "评价意见", "说明", "备注")),
)


def read(grid: Grid, header: Header, parts: Parts, problems: list[Problem]) -> int:
    """Leaves, parent weights and the 合计 row; a row whose indicator has rows below it is a subtotal row."""
    cols = header.columns
    levels = [cols[role] for role in LEVEL_ROLES if role in cols]
    weights = header.repeated.get("weight", [])
    # Each 分值 column belongs to the level column to its left (004's 附件1 has one per level).
    weight_of_level: dict[int, int] = {}
    for w in weights:
        left = [i for i, c in enumerate(levels) if c < w]
        if left:
            weight_of_level.setdefault(left[-1], w)
    leaf_weight = weight_of_level.get(len(levels) - 1, weights[-1])
    title = title_above(grid, header)
    if title:
        parts.titles.append(title)
    carried: list[str] = [""] * len(levels)
    read_rows: list[LeafRow] = []
    count = 0
    for r in range(header.row + 1, len(grid.rows) + 1):
        names = [re.sub(r"\s+", "", grid.text(r, c)) for c in levels]
        first = next((name for name in names if name), "")
        if is_total(first):
            parts.stated_total = grid.number(r, cols.get("score"), "得分", problems)
            parts.places["total"] = grid.where(r, cols.get("score"), "合计得分")
            parts.stated_full = grid.number(r, leaf_weight, "分值", problems) or next(
                (grid.number(r, w, "分值", problems) for w in weights if grid.text(r, w)), None
            )
            break
        if is_subtotal(first) or (not any(names) and not grid.text(r, leaf_weight)):
            continue
        for i, name in enumerate(names):
            # A blank or merged cell repeats the level above; a new name resets the deeper levels.
            if name and name != carried[i]:
                carried[i] = name
                carried[i + 1:] = [""] * (len(carried) - i - 1)
        chain = [name for name in carried if name]
        if not chain:
            continue
        if any("/" in name for name in chain):
            problems.append(grid.problem(r, levels[0], "指标名称", "指标名称不能含“/”（它用来分隔指标路径）"))
            continue
        for level, col in weight_of_level.items():
            if level < len(levels) - 1 and len(chain) > level + 1 and col != leaf_weight and grid.text(r, col):
                value = grid.number(r, col, "分值", problems)
                if value is not None:
                    parts.parent_weights.setdefault(tuple(chain[: level + 1]), value)
        count += 1
        read_rows.append(
            LeafRow(
                path=chain,
                weight=grid.number(r, leaf_weight, "分值", problems),
                score=grid.number(r, cols.get("score"), "得分", problems),
                explain=grid.text(r, cols.get("explain")),
                criteria=grid.text(r, cols.get("criteria")),
                note=grid.text(r, cols.get("note")),
                rule_cell=grid.text(r, cols.get("rule")),
                where=grid.where(r, None, "/".join(chain)),
                row=r,
            )
        )
    prefixes = {tuple(row.path[:i]) for row in read_rows for i in range(1, len(row.path))}
    for row in read_rows:
        key = tuple(row.path)
        if key in prefixes:  # a subtotal row of an exported 评分表
            if row.weight is not None:
                parts.parent_weights.setdefault(key, row.weight)
            if row.score is not None:
                parts.parent_scores[key] = row.score
            continue
        if row.weight is None:
            problems.append(grid.problem(row.row, leaf_weight, "分值", f"末级指标“{row.path[-1]}”缺少分值"))
            continue
        parts.leaves.append(row)
    return count


KIND = SheetKind(name="scores", label="评分表", columns=COLUMNS, read=read, hints=("评分表", "评分", "指标体系", "附件1"), priority=10)
