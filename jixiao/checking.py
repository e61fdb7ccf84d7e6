"""``jixiao check``: recompute a report's own figures and list every place where it disagrees with itself."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:  # the checker and scoring (and pypdf with them) are imported only when a report is checked
    from checker import CheckReport
    from scoring.models import Indicator

console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

SEVERITY_NAMES = {"error": "错误", "warning": "提示", "info": "说明"}


def check(
    report: Annotated[Path, typer.Argument(metavar="报告", help="评价报告（.docx / .pdf / .txt / .md）", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON（键：indicators、findings、stated_total、recomputed_total…）")] = False,
    case: Annotated[Path | None, typer.Option("--case", help="同时由报告生成案例文件（.yaml / .json），供评价人补全后用 jixiao score 计分", show_default=False)] = None,
    strict: Annotated[bool, typer.Option("--strict", help="发现“错误”级问题时以退出码 1 结束（用于流水线）")] = False,
    annotate: Annotated[Path | None, typer.Option("--annotate", help="写出审核用副本（.docx）：每条问题为原文处的批注，可机械更正的数字为修订", show_default=False)] = None,
) -> None:
    """核对一份评价报告：重建指标体系，重算分值、得分、得分率、等级、比率和资金勾稽关系，列出每一处前后不一致。

    每条问题给出类别、两处（或多处）原文及其所在章节和行号、重算结果，以及可直接写入审核意见的说明。

    示例：

      jixiao check 评价报告.docx

      jixiao check 评价报告.txt --json > 核对结果.json

      jixiao check 评价报告.md --case case.yaml

      jixiao check 评价报告.docx --annotate 审核稿.docx
    """
    from checker import CheckError, check_with_case, load_report
    from scoring import dump_case
    from scoring.io import write_atomic
    from checker.annotate import annotate_file
    from checker.case import is_scaffold

    if case is not None and case.suffix.lower() not in (".yaml", ".yml", ".json"):
        print("错误：--case 只支持 .yaml、.yml 或 .json 文件", file=sys.stderr)
        raise typer.Exit(2)
    if annotate is not None and annotate.suffix.lower() != ".docx":
        print("错误：--annotate 只支持写出 .docx 文件", file=sys.stderr)
        raise typer.Exit(2)
    try:
        doc = load_report(report)
    except CheckError as exc:
        print(f"错误：{exc.reason}", file=sys.stderr)
        raise typer.Exit(2) from None
    result, built, reason = check_with_case(doc)
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        print_report(result)
    if case is not None:
        if built is None:
            print(f"错误：{reason}", file=sys.stderr)
            raise typer.Exit(2)
        write_atomic(case, dump_case(built, "json" if case.suffix.lower() == ".json" else "yaml"))
        if is_scaffold(built):
            errors.print(f"报告中没有评分表：已按全国共性指标体系框架写入案例骨架 {case}（报告所写总分、等级和资金记为 stated；分值和规则请按评价方案调整后用 jixiao score 计分）", markup=False)
        else:
            leaves = _leaf_rules(built.indicators)
            read = sum(1 for rule in leaves if rule != "judgment")
            errors.print(
                f"已写入案例文件 {case}：{len(leaves)} 个末级指标中 {read} 个的评分规则取自报告原文，"
                f"{len(leaves) - read} 个按“分值 − 得分”记为酌情扣分（judgment）；请核对后用 jixiao score 计分",
                markup=False,
            )
    if annotate is not None:
        try:
            annotate_file(report, annotate, result)
        except CheckError as exc:
            print(f"错误：{exc.reason}", file=sys.stderr)
            raise typer.Exit(2) from None
        except OSError as exc:
            print(f"错误：无法写入 {annotate}：{exc.strerror or exc}", file=sys.stderr)
            raise typer.Exit(2) from None
        errors.print(f"已写入审核用副本 {annotate}（{len(result.findings)} 条问题以批注标注）", markup=False)
    if strict and result.errors:
        raise typer.Exit(1)


def _leaf_rules(nodes: "list[Indicator]") -> list[str]:
    found: list[str] = []
    for node in nodes:
        found.extend(_leaf_rules(node.children) if node.children else [node.rule.type if node.rule is not None else "judgment"])
    return found


def print_report(result: "CheckReport") -> None:
    """The report as a reviewer reads it: figures first, then every finding with its places."""
    from checker.findings import KINDS

    console.print(f"报告：{result.title}（{result.source}）", markup=False)
    total = "—" if result.stated_total is None else str(result.stated_total)
    recomputed = "—" if result.recomputed_total is None else str(result.recomputed_total)
    console.print(f"总分：报告写 {total}，重算 {recomputed}（满分 {result.full_score}）；等级：报告写 {result.stated_grade or '—'}，重算 {result.recomputed_grade or '—'}", markup=False)
    leaves = len(result.leaves)
    console.print(f"指标：{len([r for r in result.indicators if r.level == 1])} 个一级指标，{leaves} 个末级指标", markup=False)
    if not result.findings:
        console.print("未发现前后不一致之处。")
        return
    counts = {name: sum(1 for f in result.findings if f.severity == key) for key, name in SEVERITY_NAMES.items()}
    console.print("发现：" + "，".join(f"{name} {count} 条" for name, count in counts.items() if count), markup=False)
    for i, finding in enumerate(result.findings, 1):
        console.print(f"\n{i}. [{SEVERITY_NAMES[finding.severity]}] {KINDS.get(finding.kind, finding.kind)}", markup=False)
        console.print(f"   {finding.explanation}", markup=False)
        for place in finding.places:
            console.print(f"   · {place.cite()}", markup=False)
