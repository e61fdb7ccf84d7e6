"""``jixiao serve`` and ``jixiao keys``: run the HTTP API and web page, manage API keys."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

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
    home: HomeOption = None,
    chroma_url: ChromaOption = None,
) -> None:
    """启动 HTTP API 和网页（对话、评分表、先例检索、下载 Word 草稿）。首次启动自动导入自带示例语料。

    示例：jixiao serve            （本机使用，打开 http://127.0.0.1:8765）

          jixiao keys create 评价一部 && jixiao serve --host 0.0.0.0 --cors https://addin.example.com
    """
    import uvicorn

    from api.app import create_app

    workspace = open_workspace(home, chroma_url)
    ensure_bundled_corpus(workspace)
    require_auth = not is_loopback(host)
    app = create_app(workspace.settings, index=workspace.index, require_auth=require_auth, cors_origins=cors, max_upload_mb=max_upload_mb)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    console.print(f"jixiao 已启动：http://{shown}:{port}/  （接口文档 http://{shown}:{port}/docs）" + ("；需要 API 密钥" if require_auth else ""))
    uvicorn.run(app, host=host, port=port, log_level="warning")


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
