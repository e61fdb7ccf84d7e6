"""项目信息: two columns 项目 / 内容 (项目名称, 年度, 主管部门 … 满分, 等级划分), as the export writes them."""

from __future__ import annotations

import re
from decimal import Decimal

from scoring.io import Problem
from scoring.workpapers.base import Parts, SheetKind
from scoring.workpapers.grid import Column, Grid, Header, squash

#: Label in the sheet → project field (the labels of :class:`scoring.models.Project`'s descriptions).
FIELDS = {
    "项目名称": "name",
    "项目年度": "year",
    "主管部门": "department",
    "实施单位": "implementing_unit",
    "委托单位": "commissioner",
    "评价机构": "evaluator",
    "评价期间": "period",
    "地区": "region",
    "评价类型": "evaluation_kind",
}
KINDS = {"第三方评价": "third_party", "单位自评": "self"}
#: Fund figures that have no column in 资金明细 (its 合计 row gives 指标金额 / 到位金额 / 支付金额).
FUND_FIELDS = {"当年调整": "adjustment", "财政拨款数": "allocated", "结转数": "carried_over", "财政收回数": "recovered",
               "合同金额合计": "contract_amount", "合同已支付合计": "contract_paid"}
COLUMNS = (Column("label", ("项目信息", "字段", "事项"), required=True), Column("value", ("内容", "值", "信息"), required=True))


def read(grid: Grid, header: Header, parts: Parts, problems: list[Problem]) -> int:
    cols = header.columns
    count = 0
    for r in range(header.row + 1, len(grid.rows) + 1):
        label, value = squash(grid.text(r, cols["label"])), grid.text(r, cols["value"])
        if not label or not value:
            continue
        count += 1
        if label in FIELDS:
            key = FIELDS[label]
            if key == "year":
                year = grid.number(r, cols["value"], label, problems)
                parts.project["year"] = int(year) if year is not None else None
            else:
                parts.project[key] = KINDS.get(value, value) if key == "evaluation_kind" else value
        elif label in FUND_FIELDS:
            parts.fund_totals[FUND_FIELDS[label]] = grid.number(r, cols["value"], label, problems)  # type: ignore[assignment]
        elif label == "预算执行率分母":
            parts.project["_execution_basis"] = "budget" if "预算" in value else "received"
        elif label == "满分":
            parts.stated_full = parts.stated_full or grid.number(r, cols["value"], label, problems)
            parts.project["_full_score"] = grid.number(r, cols["value"], label, problems)
        elif label == "等级划分":
            for name, low in re.findall(r"([^\s：:，,；;0-9]+)[：:]\s*([0-9.]+)", value):
                parts.grading.append((name, Decimal(low)))
            if not parts.grading:
                problems.append(grid.problem(r, cols["value"], label, "等级划分应写成“优：90；良：80；中：60；差：0”"))
        else:
            parts.notes.append(f"项目信息“{label}”不是已知字段，未导入")
    return count


KIND = SheetKind(name="project", label="项目信息", columns=COLUMNS, read=read, hints=("项目信息", "基本信息"), priority=60)
