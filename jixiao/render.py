"""Terminal rendering of a scoring result (rich). Presentation only: every figure comes from the result."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from scoring.numbers import fmt, fmt_short
from scoring.results import ScoreResult

_SEVERITY_STYLE = {"error": ("错误", "bold red"), "warning": ("提醒", "yellow"), "info": ("说明", "cyan")}


def score_table(result: ScoreResult) -> Table:
    table = Table(title=f"{result.project} 评分表", show_lines=False, expand=True)
    table.add_column("指标", no_wrap=False, ratio=3)
    table.add_column("分值", justify="right")
    table.add_column("得分", justify="right")
    table.add_column("得分率", justify="right")
    table.add_column("计算过程", ratio=5)
    for node in result.nodes:
        indent = "  " * (node.level - 1)
        style = "bold" if node.level == 1 else ("" if node.is_leaf else "bold dim")
        rate = f"{fmt(node.rate)}%" if node.rate is not None else "—"
        audit = node.audit if not node.reason else f"{node.audit}\n理由：{node.reason}"
        table.add_row(Text(indent + node.name, style=style), fmt_short(node.weight), fmt(node.score), rate, audit)
    table.add_section()
    table.add_row(Text("合计", style="bold"), fmt_short(result.full_score), Text(fmt(result.total), style="bold"), f"{fmt(result.rate)}%", f"等级：{result.grade}")
    return table


def fund_table(result: ScoreResult) -> Table | None:
    if not result.funds:
        return None
    table = Table(title="资金情况（万元）")
    table.add_column("项目")
    table.add_column("数值", justify="right")
    table.add_column("计算方法")
    for metric in result.funds:
        value = "—" if metric.value is None else (f"{fmt(metric.value)}%" if metric.unit == "%" else fmt(metric.value))
        table.add_row(metric.label, value, metric.formula)
    return table


def checks_panel(result: ScoreResult) -> Panel:
    if not result.checks:
        return Panel("未发现不一致。", title="检查", border_style="green")
    lines = []
    for check in result.checks:
        label, style = _SEVERITY_STYLE[check.severity]
        lines.append(Text.assemble((f"[{label}] ", style), (f"{check.place}：", "bold"), check.message))
    errors = sum(1 for check in result.checks if check.severity == "error")
    return Panel(Group(*lines), title=f"检查（{len(result.checks)} 项，其中错误 {errors} 项）", border_style="red" if errors else "yellow")


def print_result(result: ScoreResult, console: Console) -> None:
    console.print(score_table(result))
    funds = fund_table(result)
    if funds is not None:
        console.print(funds)
    console.print(checks_panel(result))
    console.print(Text.assemble("总分 ", (fmt(result.total), "bold"), f" / {fmt_short(result.full_score)}，等级 ", (result.grade, "bold")))
