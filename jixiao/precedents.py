"""The precedent-library commands: ingest, search, sources, remove. Thin calls into the workspace."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from jixiao.options import ChromaOption, HomeOption, console, fail, fail_on, ingest_with_progress, open_workspace, print_ingest_report
from retrieval.models import SECTION_KIND_NAMES, SECTION_KINDS
from workspace import SEARCH_MODES, WorkspaceError


def ingest(
    paths: Annotated[list[Path], typer.Argument(metavar="路径...", help="文件或目录（.docx .pdf .txt .md；目录递归）", show_default=False)],
    prune: Annotated[bool, typer.Option("--prune", help="同时删除源文件已不存在的文档")] = False,
    home: HomeOption = None,
    chroma_url: ChromaOption = None,
) -> None:
    """把历年报告和政策文件导入先例库。

    未改动的文件自动跳过，改动的文件整体替换；单个文件出错只跳过该文件，库保持原样。

    示例：jixiao ingest corpus/ ~/报告/2023/ --prune
    """
    try:
        report = ingest_with_progress(open_workspace(home, chroma_url), paths, prune)
    except WorkspaceError as exc:
        fail_on(exc)
    print_ingest_report(report)
    if report.failed and not (report.added or report.updated or report.unchanged):
        raise typer.Exit(1)


def search(
    query: Annotated[str, typer.Argument(metavar="查询", help="要找的内容，如“资金拨付不及时的表述”", show_default=False)],
    kind: Annotated[list[str] | None, typer.Option("--kind", help=f"章节类型，可重复：{'、'.join(SECTION_KINDS)}", show_default=False)] = None,
    year: Annotated[int | None, typer.Option("--year", help="只看该年度", show_default=False)] = None,
    year_from: Annotated[int | None, typer.Option("--from", help="起始年度", show_default=False)] = None,
    year_to: Annotated[int | None, typer.Option("--to", help="截止年度", show_default=False)] = None,
    region: Annotated[str | None, typer.Option("--region", help="地区（包含匹配）", show_default=False)] = None,
    doc_kind: Annotated[str | None, typer.Option("--doc-kind", help="report 或 policy", show_default=False)] = None,
    doc: Annotated[list[str] | None, typer.Option("--doc", help="只在这些文档编号中找，可重复", show_default=False)] = None,
    k: Annotated[int, typer.Option("-k", help="返回条数", min=1, max=100)] = 5,
    mode: Annotated[str, typer.Option("--mode", help="hybrid（默认）、dense 或 keyword")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    home: HomeOption = None,
    chroma_url: ChromaOption = None,
) -> None:
    """在先例库中查找以往报告的表述，每条结果带出处（文件、章节、段落）。

    示例：jixiao search "资金拨付不及时" --kind problems -k 3
    """
    bad = [value for value in kind or [] if value not in SECTION_KINDS]
    if bad:
        fail(f"--kind 取值 {'、'.join(bad)} 不存在（可用：{'、'.join(SECTION_KINDS)}）")
    if mode not in SEARCH_MODES:
        fail(f"--mode 应为 {'、'.join(SEARCH_MODES)}")
    from retrieval.search import SearchFilters

    filters = SearchFilters(
        kinds=kind or None,  # checked against SECTION_KINDS above
        year_from=year if year is not None else year_from,
        year_to=year if year is not None else year_to,
        region=region,
        doc_kind=doc_kind,
        doc_ids=doc or None,
    )
    workspace = open_workspace(home, chroma_url)
    try:
        if not workspace.index.catalog():
            fail("先例库为空：请先运行 jixiao ingest corpus/（或你的报告目录）", 1)
        hits = workspace.search(query, k=k, filters=filters, mode=mode)
    except WorkspaceError as exc:
        fail_on(exc)
    if as_json:
        sys.stdout.write(json.dumps([hit.model_dump() for hit in hits], ensure_ascii=False, indent=2) + "\n")
        return
    if not hits:
        console.print("没有找到匹配的段落。")
        return
    for rank, hit in enumerate(hits, start=1):
        console.print(f"[bold]{rank}. {hit.citation.display}[/bold]  [dim]{SECTION_KIND_NAMES.get(hit.section_kind, hit.section_kind)} · {hit.citation.source} · 字符 {hit.citation.start}–{hit.citation.end}[/dim]")
        console.print(hit.text, markup=False, highlight=False)
        console.print()


def sources(
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    home: HomeOption = None,
    chroma_url: ChromaOption = None,
) -> None:
    """列出先例库中已导入的文档及片段数。"""
    workspace = open_workspace(home, chroma_url)
    try:
        rows = workspace.catalog()
    except WorkspaceError as exc:
        fail_on(exc)
    if as_json:
        sys.stdout.write(json.dumps([{k: v for k, v in row.items() if k != "uploaded"} for row in rows], ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"先例库：{workspace.index.store.location}（向量模型 {workspace.index.embedder.name}）")
    for column in ("编号", "标题", "类型", "年度", "地区", "片段"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["doc_id"], row["title"], "政策" if row["kind"] == "policy" else "报告", str(row["year"] or ""), row["region"] or "", str(row["chunks"]))
    console.print(table)
    console.print(f"共 {len(rows)} 份文档，{sum(row['chunks'] for row in rows)} 个片段")


def remove(
    doc_id: Annotated[str, typer.Argument(metavar="文档编号", help="文档编号（见 jixiao sources）", show_default=False)],
    home: HomeOption = None,
    chroma_url: ChromaOption = None,
) -> None:
    """从先例库中删除一份文档。"""
    try:
        open_workspace(home, chroma_url).remove(doc_id)
    except WorkspaceError as exc:
        fail_on(exc, 1)
    console.print(f"已删除 {doc_id}")


def register(app: typer.Typer) -> None:
    for command in (ingest, search, sources, remove):
        app.command()(command)
