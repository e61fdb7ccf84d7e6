"""资金明细: 序号/项目名称/指标金额/到位金额/支付金额/结余/备注, with a 合计 row that must equal the column sums."""

from __future__ import annotations

from decimal import Decimal

from scoring.io import Problem
from scoring.workpapers.base import Parts, SheetKind
from scoring.workpapers.grid import Column, Grid, Header, is_subtotal, is_total

AMOUNTS = ("budget", "received", "spent", "contract_amount", "paid")
LABELS = {"budget": "指标金额", "received": "到位金额", "spent": "支付金额", "contract_amount": "合同金额", "paid": "合同已支付"}
COLUMNS = (
    Column("id", ("序号", "编号")),
    Column("name", ("项目名称", "项目", "子项目", "子项目名称", "明细项目", "资金用途"), required=True),
    Column("budget", ("指标金额", "预算金额", "预算数", "年初预算", "预算安排", "安排预算", "预算", "指标数")),
    Column("received", ("到位金额", "到位资金", "实际到位", "到位数", "资金到位")),
    Column("spent", ("支付金额", "实际支出", "支出金额", "支出数", "实际支付", "已支付金额")),
    Column("contract_amount", ("合同金额",)),
    Column("paid", ("合同已支付", "合同支付")),
    Column("balance", ("结余", "结余金额", "结余资金")),
    Column("note", ("备注", "说明")),
)


def read(grid: Grid, header: Header, parts: Parts, problems: list[Problem]) -> int:
    cols = header.columns
    count = 0
    for r in range(header.row + 1, len(grid.rows) + 1):
        name = grid.text(r, cols["name"])
        label = grid.text(r, cols.get("id")) or name
        amounts = {key: grid.number(r, cols.get(key), LABELS[key], problems) for key in AMOUNTS if key in cols}
        if is_total(label) or is_total(name):
            parts.fund_totals.update({key: value for key, value in amounts.items() if value is not None})
            break
        if not name or is_subtotal(name) or all(value is None for value in amounts.values()):
            continue
        count += 1
        parts.fund_lines.append({"name": name, **{key: value for key, value in amounts.items() if value is not None}})
    for key, total in [(k, v) for k, v in parts.fund_totals.items() if k in LABELS]:
        summed = sum((line.get(key) or Decimal(0) for line in parts.fund_lines), Decimal(0))
        if parts.fund_lines and summed != total:
            parts.notes.append(f"资金明细“{LABELS[key]}”合计行为 {total}，各行相加为 {summed}（相差 {total - summed}）：案例采用合计行")
    return count


KIND = SheetKind(name="funds", label="资金明细", columns=COLUMNS, read=read, hints=("资金", "明细", "表1-1"), priority=30, any_of=("budget", "received", "spent"))
