"""``jixiao draft``: a section drafted around the computed figures, checked by the number guard."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from jixiao.options import ChromaOption, HomeOption, errors, fail, fail_on, open_workspace
from workspace import WorkspaceError


class DraftCommand(TyperCommand):
    """``jixiao draft``, whose section list (built-ins and plugins) is read only when its help is shown.

    The list comes from :data:`assistant.sections.SECTIONS`, which imports every section builder
    (the case model, jinja2, YAML): the other commands' processes should not pay for it.
    """

    def format_help(self, ctx: Any, formatter: Any) -> None:
        from assistant.sections import choices_help

        for param in self.params:
            if param.name == "section":
                param.help = f"要起草的章节：{choices_help()}"  # type: ignore[attr-defined]
        super().format_help(ctx, formatter)


def draft(
    section: Annotated[str, typer.Argument(metavar="章节", help="要起草的章节", show_default=False)],
    case: Annotated[Path, typer.Argument(metavar="案例文件", help="案例文件（.yaml / .json）", show_default=False)],
    backend: Annotated[str, typer.Option("--backend", help="template（默认，离线，无需模型）或 llm（需 JIXIAO_LLM_BASE_URL、JIXIAO_LLM_MODEL）")] = "template",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="写入 .docx 或 .md；不给则把 Markdown 打印到屏幕", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON：章节、段落、每句的引用和数字来源、数字核对结果")] = False,
    no_precedents: Annotated[bool, typer.Option("--no-precedents", help="不检索先例（不引用以往报告的表述）")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="数字核对或事实核对未通过时以退出码 1 结束")] = False,
    order: Annotated[str, typer.Option("--order", help="问题排序：points（按扣分多少，默认）或 framework（按决策→过程→产出→效益）")] = "points",
    home: HomeOption = None,
    chroma_url: ChromaOption = None,
) -> None:
    """起草报告章节：数字全部来自评分模块，借用以往报告的措辞时注明出处，成稿前逐个核对数字。

    示例：

      jixiao draft problems tests/fixtures/cases/seed_004.yaml

      jixiao draft report corpus/cases/sample_case.yaml --out 报告初稿.docx

      JIXIAO_LLM_BASE_URL=http://127.0.0.1:8000/v1 JIXIAO_LLM_MODEL=qwen2.5 jixiao draft suggestions case.yaml --backend llm
    """
    from scoring import CaseFileError, load_case
    from scoring.io import write_atomic

    try:
        loaded = load_case(case)
    except CaseFileError as exc:
        for problem in exc.problems:
            print(f"错误：{problem}", file=sys.stderr)
        raise typer.Exit(2) from None
    if out is not None and out.suffix.lower() not in (".docx", ".md"):
        fail("--out 只支持 .docx 或 .md")
    if order not in ("points", "framework"):
        fail("--order 只能是 points 或 framework")
    workspace = open_workspace(home, chroma_url)
    try:
        if not no_precedents and not workspace.index.catalog():
            errors.print("提示：先例库为空，草稿不引用以往报告（可先运行 jixiao ingest corpus/）。")
        result = workspace.draft(loaded, section, backend=backend, precedents=not no_precedents, order=order)  # type: ignore[arg-type]
    except WorkspaceError as exc:
        fail_on(exc)
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    elif out is None:
        sys.stdout.write(result.markdown())
    if out is not None:
        from assistant.export_docx import export_docx, export_markdown

        write_atomic(out, export_docx(result) if out.suffix.lower() == ".docx" else export_markdown(result))
        errors.print(f"已写入 {out}")
    for note in result.notes:
        errors.print(f"说明：{note}")
    guard = result.guard
    if guard is not None and guard.violations:
        errors.print(f"[bold red]数字核对：{len(guard.violations)} 个数字不是评分模块算出的[/bold red]")
        for violation in guard.violations:
            errors.print(f"  {violation.section} 第{(violation.paragraph or 0) + 1}段：“{violation.text}” {violation.reason}" + (f"（最接近：{violation.nearest}）" if violation.nearest else ""), markup=False)
    elif guard is not None:
        errors.print(f"数字核对：通过（{guard.checked} 个数字均有来源）")
    if guard is not None and guard.claim_violations:
        errors.print(f"[bold red]事实核对：{len(guard.claim_violations)} 处名称或句子不是来自案例[/bold red]")
        for claim in guard.claim_violations:
            errors.print(f"  {claim.section} 第{(claim.paragraph or 0) + 1}段：“{claim.text[:60]}” {claim.reason}", markup=False)
    elif guard is not None:
        offers = sum(len(p.offers) for s in result.sections for p in s.paragraphs)
        errors.print(f"事实核对：通过（{guard.claims_checked} 句均可追溯到案例、规范或模板衔接语）" + (f"；另有 {offers} 条先例措辞列为可选项，未写入正文" if offers else ""))
    if guard is not None and not guard.ok and strict:
        raise typer.Exit(1)
