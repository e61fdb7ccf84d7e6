"""The ``jixiao`` command line: thin commands over the same functions the API calls."""

from __future__ import annotations

import errno
import gc
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:  # each command imports what it uses: `jixiao search` needs no scoring, no openpyxl
    from scoring import CaseFileError

app = typer.Typer(
    name="jixiao",
    help=(
        "绩效评价报告助手：按评分规则确定性地计算每一个分数，核对报告所写数字，查找以往报告的表述。\n\n"
        "示例：\n\n"
        "  jixiao demo\n\n"
        "  jixiao ingest corpus/ 我的报告目录/\n\n"
        "  jixiao search \"资金拨付不及时\" --kind problems\n\n"
        "  jixiao score corpus/cases/sample_case.yaml\n\n"
        "  jixiao score case.yaml --json > result.json\n\n"
        "  jixiao import 工作底稿.xlsx -o case.yaml\n\n"
        "  jixiao check 评价报告.docx\n\n"
        "  jixiao rules"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

from jixiao.chinese_help import chinese_placeholders, install as _install_chinese_help  # noqa: E402
from jixiao.linebreak import install as _install_line_breaking  # noqa: E402

_install_line_breaking()  # Chinese text wraps between characters, never inside a number or a date
_install_chinese_help()  # --help, usage and command-line errors in Chinese
stdout = Console()
stderr = Console(stderr=True)

EXIT_BAD_INPUT = 2


def _fail(problems: "CaseFileError") -> None:
    for problem in problems.problems:
        print(f"错误：{problem}", file=sys.stderr)
    raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def score(
    case: Annotated[Path, typer.Argument(metavar="案例文件", help="案例文件（.yaml / .yml / .json）", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON（键：total、grade、nodes、funds、checks）")] = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="同时把评分表、资金和检查结果写入该 .xlsx 文件")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="检查中有“错误”时以退出码 1 结束（用于流水线）")] = False,
) -> None:
    """按案例文件中的评分规则计算每个指标的得分、小计、总分和等级，并列出所有不一致之处。

    每个末级指标的“计算过程”列出代入数字后的算式（如 2 × 95.91% = 1.92）；
    案例中 stated 部分（报告所写的分数、等级、资金数）与重算结果不符的，逐条列在“检查”中。
    """
    from scoring import CaseFileError, load_case, score_case
    from scoring.io import write_atomic
    from scoring.xlsx import export_result_xlsx

    try:
        result = score_case(load_case(case))
    except CaseFileError as exc:
        _fail(exc)
    if xlsx is not None:
        write_atomic(xlsx, export_result_xlsx(result))
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        from jixiao.render import print_result

        print_result(result, stdout)
        if xlsx is not None:
            stdout.print(f"已写入 {xlsx}")
    if strict and any(check.severity == "error" for check in result.checks):
        raise typer.Exit(1)


def _leaves(nodes):  # type: ignore[no-untyped-def]
    for node in nodes:
        if node.children:
            yield from _leaves(node.children)
        else:
            yield node


@app.command()
def rules(as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False) -> None:
    """列出可用的评分规则类型、每类能从评价标准原文读出的写法示例及其参数（写案例文件时对照）。"""
    catalogue: list[dict[str, Any]] = []
    from scoring import RULES

    for rule in RULES.values():
        fields = {
            key: (info.description or "")
            for key, info in rule.params.model_fields.items()
            if key not in ("type", "text")  # text (评价标准原文) is common to every family: in the caption
        }
        catalogue.append({
            "type": rule.name, "label": rule.label, "doc": (sys.modules[rule.apply.__module__].__doc__ or "").strip(),
            "params": fields, "examples": list(rule.examples),
        })
    if as_json:
        sys.stdout.write(json.dumps(catalogue, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(
        title="评分规则类型（rule.type）", show_lines=True,
        caption="每类规则都可另写 text：评价标准原文（jixiao check --case 由原文读出规则时保留）",
    )
    table.add_column("type", style="bold", no_wrap=True)
    table.add_column("含义", overflow="fold")
    table.add_column("可读出的评价标准写法", overflow="fold")
    table.add_column("参数", overflow="fold")
    for item in catalogue:
        params = "\n".join(f"{key}：{text}" if text else key for key, text in item["params"].items()) or "（无）"
        table.add_row(item["type"], item["label"], "\n".join(f"“{text}”" for text in item["examples"]) or "—", params)
    stdout.print(table)


from jixiao import precedents  # noqa: E402  (commands register themselves on the app)
from jixiao.checking import check  # noqa: E402
from jixiao.workpapers import import_files, init  # noqa: E402
from jixiao.demo import demo  # noqa: E402
from jixiao.drafts import DraftCommand, draft  # noqa: E402
from jixiao.server import keys_app, serve  # noqa: E402

precedents.register(app)
app.command()(demo)
app.command(cls=DraftCommand)(draft)
app.command()(check)
app.command("import")(import_files)
app.command()(init)
app.command("import-xlsx", help="同 jixiao import（旧名，保留）。")(import_files)
app.command()(serve)
app.add_typer(keys_app, name="keys")


def _collect_less() -> None:
    """Run Python's cyclic garbage collector a seventieth as often as by default.

    A command's start-up makes some 10^6 objects that live as long as the process (the modules,
    classes and schemas of chromadb, pydantic, typer); at the default threshold (a pass every 700
    new objects) the collector walks them again and again: about a tenth of a `jixiao search`
    process's CPU. Garbage cycles are still collected, only in fewer, larger passes."""
    gc.set_threshold(50_000, 50, 100)


def main() -> None:
    """Console entry point: bad input exits 2 with a message, never a traceback."""
    _collect_less()
    try:
        chinese_placeholders(typer.main.get_command(app))(prog_name="jixiao")
    except KeyboardInterrupt:
        stderr.print("已中断。")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - last line of defence for users
        if os.environ.get("JIXIAO_DEBUG"):
            raise
        known = _known_failure(exc)
        print(known or f"内部错误：{type(exc).__name__}: {exc}（设置 JIXIAO_DEBUG=1 可查看详细信息）", file=sys.stderr)
        sys.exit(1)


_WRITE_ERRORS = {
    errno.ENOSPC: "磁盘已满",
    errno.EDQUOT: "超出磁盘配额",
    errno.EROFS: "文件系统只读",
    errno.EACCES: "没有写入权限",
    errno.EPERM: "没有写入权限",
    errno.EFBIG: "文件超过系统允许的大小",
}


def _known_failure(exc: BaseException) -> str | None:
    """One line for failures of the machine rather than of jixiao: disk full, read-only, the vector store down."""
    import sqlite3

    from retrieval.errors import StoreError

    if isinstance(exc, StoreError):
        return f"错误：{exc}"
    if isinstance(exc, OSError) and exc.errno in _WRITE_ERRORS:
        where = f" {exc.filename}" if exc.filename else ""
        return f"错误：无法写入{where}：{_WRITE_ERRORS[exc.errno]}（{exc.strerror}）。请释放磁盘空间或检查目录权限后重试。"
    if isinstance(exc, sqlite3.OperationalError):
        return f"错误：数据目录中的数据库无法写入（{exc}）。请确认数据目录（--home 或 JIXIAO_HOME）可写、磁盘未满后重试。"
    return None


if __name__ == "__main__":
    main()
