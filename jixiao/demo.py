"""``jixiao demo``: the main job on the bundled sample, for a new user's first minute."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from core.settings import SAMPLE_CASE
from jixiao.options import ChromaOption, HomeOption, console, ensure_bundled_corpus, fail, open_workspace
from retrieval.models import SECTION_KIND_NAMES
from retrieval.search import SearchFilters


def demo(
    case: Annotated[Path, typer.Option("--case", help="案例文件；默认用自带示例")] = SAMPLE_CASE,
    home: HomeOption = None,
    chroma_url: ChromaOption = None,
) -> None:
    """演示主流程：首次运行时导入自带示例语料，给示例案例评分，并为其主要问题查找以往报告的表述。"""
    from jixiao.render import print_result
    from scoring import CaseFileError, load_case

    workspace = open_workspace(home, chroma_url)
    ensure_bundled_corpus(workspace)
    try:
        loaded = load_case(case)
    except CaseFileError as exc:
        fail(str(exc.problems[0]))
    print_result(workspace.score(loaded), console)
    if not loaded.findings:
        return
    nature, count = Counter(finding.nature for finding in loaded.findings).most_common(1)[0]
    console.rule(f"以往报告如何表述“{nature}”（本案例 {count} 条）")
    for rank, hit in enumerate(workspace.search(nature, k=3, filters=SearchFilters(kinds=["problems"])), start=1):
        console.print(f"[bold]{rank}. {hit.citation.display}[/bold] [dim]{SECTION_KIND_NAMES.get(hit.section_kind, '')}[/dim]")
        console.print(hit.text, markup=False, highlight=False)
    console.print("\n下一步：jixiao search \"你的问题\" --kind problems；jixiao score 你的案例.yaml；jixiao --help")
