"""问题清单: 序号/项目单位/项目/项目分类/问题定性/具体问题/问题描述 (and 原因, 涉及金额, 整改建议, 指标 where kept)."""

from __future__ import annotations

from typing import Any

from scoring.io import Problem
from scoring.workpapers.base import FindingRow, Parts, SheetKind, title_above
from scoring.workpapers.grid import Column, Grid, Header, is_total

COLUMNS = (
    Column("id", ("序号", "编号", "问题编号")),
    Column("unit", ("项目单位", "单位", "被评价单位", "责任单位", "实施单位")),
    Column("project", ("项目", "项目名称", "子项目", "子项目名称")),
    Column("category", ("项目分类", "项目类型", "分类")),
    Column("nature", ("问题定性", "问题类型", "问题性质", "问题类别", "问题分类"), required=True),
    Column("issue", ("具体问题", "问题", "问题摘要", "问题名称")),
    Column("description", ("问题描述", "描述", "问题详情", "具体情况", "情况说明")),
    Column("cause", ("原因", "问题原因", "原因分析", "产生原因")),
    Column("amount", ("涉及金额", "金额", "涉及资金")),
    Column("suggestion", ("整改建议", "建议", "改进建议", "有关建议")),
    Column("evidence", ("佐证材料", "佐证", "依据")),
    Column("indicator", ("对应指标", "扣分指标", "涉及指标", "所属指标", "评价指标", "指标", "三级指标", "末级指标")),
    Column("also", ("同时扣分指标", "其他扣分指标")),
    Column("severity", ("严重程度", "程度")),
    Column("waived", ("未扣分理由", "不扣分理由")),
)
#: Columns a merged or blank cell carries down from the row above (one unit, one project, many problems).
CARRIED = ("unit", "project", "category", "nature")


def read(grid: Grid, header: Header, parts: Parts, problems: list[Problem]) -> int:
    cols = header.columns
    if "issue" not in cols and "description" not in cols:
        problems.append(grid.problem(header.row, None, "表头", "问题清单须有“具体问题”或“问题描述”列"))
        return 0
    title = title_above(grid, header)
    if title:
        parts.titles.append(title)
    carried: dict[str, str] = {}
    count = 0
    for r in range(header.row + 1, len(grid.rows) + 1):
        values: dict[str, Any] = {role: grid.text(r, col) for role, col in cols.items()}
        if is_total(values.get("id", "")) or is_total(values.get("unit", "")):
            continue
        if not (values.get("issue") or values.get("description")):
            continue  # a blank row or one holding only a 序号
        for role in CARRIED:
            if values.get(role):
                carried[role] = values[role]
            elif role in carried:
                values[role] = carried[role]
        if not values.get("nature"):
            problems.append(grid.problem(r, cols["nature"], "问题定性", "问题定性为空，且上方没有可沿用的定性"))
            continue
        amount = grid.number(r, cols.get("amount"), "涉及金额", problems) if values.get("amount") else None
        count += 1
        finding: dict[str, Any] = {
            "id": values.get("id") or str(count),
            **{key: values[key] for key in ("unit", "project", "category", "nature", "issue", "description", "cause", "suggestion", "evidence", "severity", "waived") if values.get(key)},
        }
        if amount is not None:
            finding["amount"] = amount
        if values.get("also"):
            finding["also_indicators"] = [part.strip() for part in values["also"].replace("，", "、").replace(",", "、").split("、") if part.strip()]
        parts.findings.append(FindingRow(finding, values.get("indicator", ""), grid.where(r, None, f"第 {finding['id']} 条"), r, cols.get("indicator"),
                                      grid.source, grid.where(r, cols.get("indicator"), "对应指标")))
    return count


KIND = SheetKind(name="findings", label="问题清单", columns=COLUMNS, read=read, hints=("问题清单", "问题", "附件2"), priority=20)
