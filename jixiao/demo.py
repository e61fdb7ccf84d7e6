"""``jixiao demo``: the main job on the bundled sample, for a new user's first minute."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from jixiao.precedents import KIND_NAMES, ChromaOption, HomeOption, ensure_bundled_corpus, open_index
from jixiao.settings import BUNDLED_CORPUS

console = Console()
SAMPLE_CASE = BUNDLED_CORPUS / "cases" / "sample_case.yaml"


def demo(
    case: Annotated[Path, typer.Option("--case", help="案例文件；默认用自带示例")] = SAMPLE_CASE,
    home: HomeOption = None,
    chroma_url: ChromaOption = None,
) -> None:
    """演示主流程：首次运行时导入自带示例语料，给示例案例评分，并为其主要问题查找以往报告的表述。"""
    from jixiao.render import print_result
    from scoring import load_case, score_case

    index = open_index(home, chroma_url)
    ensure_bundled_corpus(index)
    result = score_case(load_case(case))
    print_result(result, console)

    findings = load_case(case).findings
    if not findings:
        return
    nature, count = Counter(finding.nature for finding in findings).most_common(1)[0]
    console.rule(f"以往报告如何表述“{nature}”（本案例 {count} 条）")
    for rank, hit in enumerate(index.search(nature, k=3, filters=_problems()), start=1):
        console.print(f"[bold]{rank}. {hit.citation.display}[/bold] [dim]{KIND_NAMES.get(hit.section_kind, '')}[/dim]")
        console.print(hit.text, markup=False, highlight=False)
    console.print("\n下一步：jixiao search \"你的问题\" --kind problems；jixiao score 你的案例.yaml；jixiao --help")


def _problems():  # type: ignore[no-untyped-def]
    from retrieval.search import SearchFilters

    return SearchFilters(kinds=["problems"])
