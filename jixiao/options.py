"""What every command shares: the data-directory options, the workspace they open, and one way to fail."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from core.settings import load_settings
from workspace import Workspace, WorkspaceError

if TYPE_CHECKING:
    from retrieval.index import IngestReport

HomeOption = Annotated[Path | None, typer.Option("--home", help="数据目录（默认取 JIXIAO_HOME，或用户数据目录下的 jixiao）", show_default=False)]
ChromaOption = Annotated[str | None, typer.Option("--chroma-url", help="Chroma 服务地址（chroma run 启动），如 http://127.0.0.1:8000；默认用本地嵌入式库", show_default=False)]

console = Console()
errors = Console(stderr=True)

EXIT_BAD_INPUT = 2


def open_workspace(home: Path | None = None, chroma_url: str | None = None) -> Workspace:
    return Workspace(load_settings(home=home, chroma_url=chroma_url))


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    print(f"错误：{message}", file=sys.stderr)
    raise typer.Exit(code)


def fail_on(exc: WorkspaceError, code: int = EXIT_BAD_INPUT) -> NoReturn:
    fail(exc.message, code)


def ingest_with_progress(workspace: Workspace, paths: list[Path], prune: bool = False, quiet: bool = False) -> "IngestReport":
    """Ingest with a progress bar (files, then embedding) on stderr; returns the ingest report."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=errors, transient=True, disable=quiet) as bar:
        files = bar.add_task("读取文件", total=None)
        embed = bar.add_task("计算向量", total=None, visible=False)

        def progress(stage: str, done: int, total: int, detail: str) -> None:
            if stage == "file":
                bar.update(files, completed=done - 1, total=total, description=f"读取 {detail}")
            else:
                bar.update(embed, completed=done, total=total, visible=True, description=f"向量 {detail}")

        return workspace.ingest(paths, prune=prune, progress=progress)


def print_ingest_report(report: "IngestReport") -> None:
    console.print(
        f"新增 {len(report.added)}，更新 {len(report.updated)}，未变 {len(report.unchanged)}，删除 {len(report.removed)}，"
        f"失败 {len(report.failed)}；写入 {report.chunks} 个片段，新算向量 {report.embedded} 个，用时 {report.seconds:.1f} 秒"
    )
    for path, reason in report.failed:
        print(f"跳过：{path}: {reason}", file=sys.stderr)


def ensure_bundled_corpus(workspace: Workspace) -> None:
    """The first start's import of the bundled sample corpus, announced and with progress."""
    try:
        missing = workspace.missing_bundled_documents()
    except WorkspaceError as exc:
        fail_on(exc)
    if missing:
        console.print(f"首次运行：导入自带示例语料（{len(missing)} 份文档）到 {workspace.index.store.location} …")
        from core.settings import BUNDLED_CORPUS

        print_ingest_report(ingest_with_progress(workspace, [BUNDLED_CORPUS]))
