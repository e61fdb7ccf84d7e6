"""``jixiao import`` and ``jixiao init``: working papers in, and an empty workbook in the same layout out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from workspace import CaseImportError, Workspace, WorkspaceError

console = Console(highlight=False, soft_wrap=True)
EXIT_BAD_INPUT = 2


def _fail_import(exc: WorkspaceError) -> None:
    for problem in getattr(exc, "problems", None) or [exc.message]:
        print(f"错误：{problem}", file=sys.stderr)
    raise typer.Exit(EXIT_BAD_INPUT)


def import_files(
    files: Annotated[list[Path], typer.Argument(metavar="文件...", help="工作底稿 .xlsx（可多个）、案例文件 .yaml/.json，或报告 .docx/.pdf", show_default=False)],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="写入的案例文件（.yaml 或 .json）；不给则只显示推断结果")] = None,
    name: Annotated[str | None, typer.Option("--name", help="项目名称；默认取评分表或问题清单的标题，再不然取文件名")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="不显示推断表，只显示汇总")] = False,
) -> None:
    """把评价工作底稿（评分表、问题清单、资金明细、基础数据、问卷）转换为案例文件。

    表头可在任意行（标题行之下），列名按常见写法识别，合并单元格与空白单元格沿用上一行；
    评价标准原文读作评分规则，问题清单按“指标”列或评价说明的措辞挂到末级指标。
    逐项列出推断结果：每个末级指标的规则及依据、每条问题挂在哪里及理由、未能挂上的问题。
    规则算出的得分与评分表得分不符时，以评分表得分为准并列为“需核对”。
    """
    from scoring import dump_case, score_case
    from scoring.io import write_atomic

    loaded: list[tuple[str, bytes]] = []
    for path in files:
        if not path.is_file():
            print(f"错误：{path}: 文件不存在", file=sys.stderr)
            raise typer.Exit(EXIT_BAD_INPUT)
        loaded.append((str(path), path.read_bytes()))
    try:
        result = Workspace.import_case(loaded, name)
    except CaseImportError as exc:
        _fail_import(exc)
        return
    except WorkspaceError as exc:
        _fail_import(exc)
        return
    scored = score_case(result.case)
    if not quiet and result.inferences:
        table = Table(title="末级指标的评分规则", show_lines=False)
        for column in ("末级指标", "分值", "评分表得分", "规则", "依据", "问题"):
            table.add_column(column, overflow="fold")
        for row in result.inferences:
            table.add_row(row.path.split("/")[-1], str(row.weight), "—" if row.sheet_score is None else str(row.sheet_score),
                          row.label, row.words, "、".join(row.findings) or "—")
        console.print(table)
    if not quiet and result.placements:
        table = Table(title="问题清单挂到哪个指标")
        for column in ("问题", "末级指标", "理由"):
            table.add_column(column, overflow="fold")
        for placement in result.placements:
            table.add_row(placement.finding, (placement.leaf or "未挂到指标").split("/")[-1], placement.why)
        console.print(table)
    checks = result.checks
    if checks:
        console.print("需核对：", markup=False)
        for check in checks:
            console.print(f"  - {check}", markup=False)
    leaves = len(result.inferences) or sum(1 for node in scored.nodes if node.is_leaf)
    placed = sum(1 for f in result.case.findings if f.indicator)
    console.print(
        f"读取：{'；'.join(f'{Path(f).name}「{s}」{k} {n} 行' if s else f'{Path(f).name}（{k}）' for f, s, k, n in result.sheets)}\n"
        f"{leaves} 个末级指标（{result.rules_read} 个按评价标准读出规则），"
        f"{len(result.case.findings)} 条问题（{placed} 条挂到指标），总分 {scored.total:.2f}，等级 {scored.grade}",
        markup=False,
    )
    if out is not None:
        write_atomic(out, dump_case(result.case, "json" if out.suffix.lower() == ".json" else "yaml"))
        console.print(f"已写入 {out}", markup=False)


def init(
    workbook: Annotated[Path, typer.Argument(metavar="工作底稿", help="要创建的工作底稿 .xlsx", show_default=False)],
    name: Annotated[str | None, typer.Option("--name", help="项目名称（写入项目信息和标题行）")] = None,
    case: Annotated[Path | None, typer.Option("--from", help="由已有案例文件（.yaml/.json）生成，含得分、问题清单和资金明细")] = None,
    force: Annotated[bool, typer.Option("--force", help="文件已存在时覆盖")] = False,
) -> None:
    """新建一份评价工作底稿：项目信息、评分表（预填全国共性指标框架，表头批注说明各列）、问题清单、资金明细、基础数据、问卷。

    填好后用 jixiao import 工作底稿.xlsx -o case.yaml 转为案例文件；--from 则把已有案例导出为同样的工作底稿。
    """
    from scoring.io import write_atomic

    from scoring import load_case
    from scoring.workpapers.export import export_workbook, template_workbook
    from scoring.io import CaseFileError

    if workbook.suffix.lower() != ".xlsx":
        print(f"错误：{workbook}: 工作底稿须为 .xlsx 文件", file=sys.stderr)
        raise typer.Exit(EXIT_BAD_INPUT)
    if workbook.exists() and not force:
        print(f"错误：{workbook} 已存在（加 --force 覆盖）", file=sys.stderr)
        raise typer.Exit(EXIT_BAD_INPUT)
    if case is not None:
        try:
            data = export_workbook(load_case(case))
        except CaseFileError as exc:
            for problem in exc.problems:
                print(f"错误：{problem}", file=sys.stderr)
            raise typer.Exit(EXIT_BAD_INPUT) from None
    else:
        data = template_workbook(name or "（项目名称）")
    write_atomic(workbook, data)
    console.print(f"已写入 {workbook}" + ("" if case else "（评分表已预填全国共性指标框架；分值为参考值，请按评价方案调整）"), markup=False)
