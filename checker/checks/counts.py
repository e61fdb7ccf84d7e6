"""Counts: "共 N 个二级指标" against the number of indicators of that level in the scoring table."""

from __future__ import annotations

from collections.abc import Iterator

from checker.checks.base import finding, report_check
from checker.facts import ReportFacts
from checker.findings import Finding, Place
from checker.statements import find_document_counts
from checker.tree import Node


def _count_at(scope: list[Node], level: int) -> int:
    return sum(1 for root in scope for node in root.walk() if node.level == level)


@report_check("counts", title="指标个数", reads=("doc", "tree", "categories"), order=70)
def check_counts(facts: ReportFacts) -> Iterator[Finding]:
    tree = facts.tree
    depth = max((node.level for node in tree.walk()), default=0)
    stated: list[tuple[int, int, Place, list[str], bool]] = [
        (level, count, place, statement.section, True) for statement in facts.categories for level, count, place in statement.counts
    ]
    stated += [(level, count, place, section, False) for level, count, place, section in find_document_counts(facts.doc)]
    for level, count, place, section, in_category in stated:
        root = facts.root_for(section)
        if in_category and root is None:
            continue  # a category summary whose category is not in the table
        scope = [root] if root is not None else tree.roots
        actual = _count_at(scope, level)
        if level > depth or not actual or count == actual or (root is not None and level <= root.level):
            continue
        where = f"“{root.name}”下" if root is not None else "评分表中共"
        yield finding("count", "warning", [place], f"正文写有 {count} 个{'一二三四'[level - 1]}级指标，{where}为 {actual} 个。", count, actual)
