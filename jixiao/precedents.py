"""CLI commands for the precedent index: ingest, search, sources, remove. Thin: the work is in retrieval/."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.settings import BUNDLED_CORPUS, load_settings
from retrieval.models import SECTION_KINDS

if TYPE_CHECKING:  # the index pulls in chromadb and the models: import it only when a command needs it
    from retrieval.index import IngestReport, PrecedentIndex

HomeOption = Annotated[Path | None, typer.Option("--home", help="数据目录（默认取 JIXIAO_HOME，或用户数据目录下的 jixiao）", show_default=False)]
ChromaOption = Annotated[str | None, typer.Option("--chroma-url", help="Chroma 服务地址（chroma run 启动），如 http://127.0.0.1:8000；默认用本地嵌入式库", show_default=False)]

console = Console()
errors = Console(stderr=True)

KIND_NAMES = {
    "basic_info": "基本情况",
    "method": "评价工作",
    "conclusion": "评价结论",
    "indicator_analysis": "指标分析",
    "experience": "经验做法",
    "problems": "存在问题",
    "causes": "原因分析",
    "suggestions": "建议",
    "scoring_table": "评分表",
    "findings_list": "问题清单",
    "other": "其他",
}


def open_index(home: Path | None, chroma_url: str | None) -> "PrecedentIndex":
    from retrieval.embedders import EmbedderError
    from retrieval.index import PrecedentIndex
    from retrieval.store import StoreError

    settings = load_settings(home=home, chroma_url=chroma_url)
    try:
        return PrecedentIndex.from_settings(settings)
    except (StoreError, EmbedderError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        raise typer.Exit(2) from None


def run_ingest(index: "PrecedentIndex", paths: list[Path], prune: bool, quiet: bool = False) -> "IngestReport":
    """Ingest with a progress bar (files, then embedding) on stderr."""
    from retrieval.index import bundle_path

    index.import_vectors(bundle_path(BUNDLED_CORPUS, index.embedder.name))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=errors, transient=True, disable=quiet) as bar:
        files = bar.add_task("读取文件", total=None)
        embed = bar.add_task("计算向量", total=None, visible=False)

        def progress(stage: str, done: int, total: int, detail: str) -> None:
            if stage == "file":
                bar.update(files, completed=done - 1, total=total, description=f"读取 {detail}")
            else:
                bar.update(embed, completed=done, total=total, visible=True, description=f"向量 {detail}")

        report = index.ingest(paths, prune=prune, progress=progress)
    return report


def ensure_bundled_corpus(index: "PrecedentIndex") -> None:
    """Ingest the bundled sample corpus if any of it is missing (a new user's first start)."""
    bundled = {path.stem for path in BUNDLED_CORPUS.rglob("*.md") if path.name.lower() != "readme.md"}
    if not bundled <= set(index.catalog()):
        console.print(f"首次运行：导入自带示例语料（{len(bundled)} 份文档）到 {index.store.location} …")
        print_report(run_ingest(index, [BUNDLED_CORPUS], prune=False))


def print_report(report: "IngestReport") -> None:
    console.print(
        f"新增 {len(report.added)}，更新 {len(report.updated)}，未变 {len(report.unchanged)}，删除 {len(report.removed)}，"
        f"失败 {len(report.failed)}；写入 {report.chunks} 个片段，新算向量 {report.embedded} 个，用时 {report.seconds:.1f} 秒"
    )
    for path, reason in report.failed:
        print(f"跳过：{path}: {reason}", file=sys.stderr)


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="文件或目录（.docx .pdf .txt .md；目录递归）", show_default=False)],
    prune: Annotated[bool, typer.Option("--prune", help="同时删除源文件已不存在的文档")] = False,
    home: HomeOption = None,
    chroma_url: ChromaOption = None,
) -> None:
    """把历年报告和政策文件导入先例库。

    未改动的文件自动跳过，改动的文件整体替换；单个文件出错只跳过该文件，库保持原样。

    示例：jixiao ingest corpus/ ~/报告/2023/ --prune
    """
    index = open_index(home, chroma_url)
    report = run_ingest(index, paths, prune)
    print_report(report)
    if report.failed and not (report.added or report.updated or report.unchanged):
        raise typer.Exit(1)


def search(
    query: Annotated[str, typer.Argument(help="要找的内容，如“资金拨付不及时的表述”", show_default=False)],
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
        print(f"错误：--kind 取值 {'、'.join(bad)} 不存在（可用：{'、'.join(SECTION_KINDS)}）", file=sys.stderr)
        raise typer.Exit(2)
    if mode not in ("hybrid", "dense", "keyword"):
        print("错误：--mode 应为 hybrid、dense 或 keyword", file=sys.stderr)
        raise typer.Exit(2)
    from retrieval.search import SearchFilters

    filters = SearchFilters(
        kinds=kind or None,  # type: ignore[arg-type]
        year_from=year if year is not None else year_from,
        year_to=year if year is not None else year_to,
        region=region,
        doc_kind=doc_kind,
        doc_ids=doc or None,
    )
    index = open_index(home, chroma_url)
    if not index.catalog():
        print("先例库为空：请先运行 jixiao ingest corpus/（或你的报告目录）", file=sys.stderr)
        raise typer.Exit(1)
    hits = index.search(query, k=k, filters=filters, mode=mode)
    if as_json:
        sys.stdout.write(json.dumps([hit.model_dump() for hit in hits], ensure_ascii=False, indent=2) + "\n")
        return
    if not hits:
        console.print("没有找到匹配的段落。")
        return
    for rank, hit in enumerate(hits, start=1):
        console.print(f"[bold]{rank}. {hit.citation.display}[/bold]  [dim]{KIND_NAMES.get(hit.section_kind, hit.section_kind)} · {hit.citation.source} · 字符 {hit.citation.start}–{hit.citation.end}[/dim]")
        console.print(hit.text, markup=False, highlight=False)
        console.print()


def sources(
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    home: HomeOption = None,
    chroma_url: ChromaOption = None,
) -> None:
    """列出先例库中已导入的文档及片段数。"""
    index = open_index(home, chroma_url)
    records = sorted(index.catalog().values(), key=lambda record: record.meta.doc_id)
    if as_json:
        rows = [{**record.meta.model_dump(), "chunks": record.chunks, "path": record.path} for record in records]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"先例库：{index.store.location}（向量模型 {index.embedder.name}）")
    for column in ("编号", "标题", "类型", "年度", "地区", "片段"):
        table.add_column(column)
    for record in records:
        meta = record.meta
        table.add_row(meta.doc_id, meta.title, "政策" if meta.kind == "policy" else "报告", str(meta.year or ""), meta.region or "", str(record.chunks))
    console.print(table)
    console.print(f"共 {len(records)} 份文档，{sum(r.chunks for r in records)} 个片段")


def remove(
    doc_id: Annotated[str, typer.Argument(help="文档编号（见 jixiao sources）", show_default=False)],
    home: HomeOption = None,
    chroma_url: ChromaOption = None,
) -> None:
    """从先例库中删除一份文档。"""
    index = open_index(home, chroma_url)
    if not index.remove(doc_id):
        print(f"错误：先例库中没有文档 {doc_id}", file=sys.stderr)
        raise typer.Exit(1)
    console.print(f"已删除 {doc_id}")


def register(app: typer.Typer) -> None:
    app.command()(ingest)
    app.command()(search)
    app.command()(sources)
    app.command()(remove)
