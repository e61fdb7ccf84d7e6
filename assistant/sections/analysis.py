"""绩效评价指标分析: per 一级/二级 indicator, deductions with their reasons or audits, and the scoring table."""

from __future__ import annotations

from typing import Any, TYPE_CHECKING

from assistant.draft_input import DraftInput
from assistant.models import Section, TableData
from assistant.render import render_paragraphs
from assistant.sections.base import section
from scoring.numbers import fmt, fmt_short

if TYPE_CHECKING:  # types only: importing the case model costs start-up time
    from scoring.results import NodeResult, ScoreResult



def _children(result: ScoreResult, node: NodeResult) -> list[NodeResult]:
    return [child for child in result.nodes if child.parent == node.path]


def _leaves(result: ScoreResult, node: NodeResult) -> list[NodeResult]:
    prefix = node.path + "/"
    return [n for n in result.nodes if n.is_leaf and (n.path == node.path or n.path.startswith(prefix))]


CASES_LISTED = 4


def _leaf_context(leaf: NodeResult, notes: dict[str, str], cases: dict[str, list[str]]) -> dict[str, Any]:
    """A leaf with its evidence: the 评价说明 (reason), else its 评价要点 (note); the findings behind a per-case deduction."""
    behind = cases.get(leaf.path, [])
    return {
        "name": leaf.name, "weight": leaf.weight, "score": leaf.score, "deduction": leaf.weight - leaf.score,
        "reason": leaf.reason, "audit": leaf.audit, "note": notes.get(leaf.path, ""),
        # a note with numbers is a scoring standard (目标=7个), not evidence: the table's 评分依据 shows how it scored
        "note_has_numbers": any(ch.isdigit() for ch in notes.get(leaf.path, "")),
        "cases": behind[:CASES_LISTED], "more_cases": len(behind) > CASES_LISTED,
    }


def _evidence(data: DraftInput) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(note by leaf path, the findings counted on each leaf as 项目（具体问题）) from the case."""
    from assistant.problems import short_name
    from scoring.tree import TreeIndex, walk

    index = TreeIndex(data.case)
    notes = {item.path: item.node.note for item in walk(data.case.indicators) if item.node.note}
    cases: dict[str, list[str]] = {}
    for finding in data.case.findings:
        if finding.waived:
            continue
        label = (short_name(finding.project) if finding.project else "") + (f"（{finding.issue}）" if finding.issue else "")
        for name in finding.indicators:
            cases.setdefault(index.resolve(name).path, [])
            if label and label not in cases[index.resolve(name).path]:
                cases[index.resolve(name).path].append(label)
    return notes, cases


def scoring_table(result: ScoreResult) -> TableData:
    """The score table as rows: indicator (indented by level), weight, score, rate, how it was computed."""
    rows: list[list[str]] = []
    bold: list[int] = []
    for node in result.nodes:
        if not node.is_leaf:
            bold.append(len(rows))
        rows.append(["　" * (node.level - 1) + node.name, fmt_short(node.weight), fmt(node.score), f"{fmt(node.rate)}%" if node.rate is not None else "—", node.audit if node.is_leaf else ""])
    bold.append(len(rows))
    rows.append(["合计", fmt_short(result.full_score), fmt(result.total), f"{fmt(result.rate)}%", f"等级：{result.grade}"])
    return TableData(title="绩效评价指标评分表", header=["指标", "分值", "得分", "得分率", "评分依据"], rows=rows, bold_rows=bold)


@section("analysis", "绩效评价指标分析", precedent_kind="indicator_analysis", cues=("指标分析",), file_label="指标分析", outline=40)
def build(data: DraftInput, title: str) -> list[Section]:
    result = data.result
    notes, cases = _evidence(data)
    categories = []
    for top in result.categories:
        leaves = _leaves(result, top)
        mids = _children(result, top) or [top]
        categories.append(
            {
                "name": top.name,
                "weight": top.weight,
                "score": top.score,
                "rate": top.rate,
                "full": [f"“{leaf.name}”" for leaf in leaves if leaf.score == leaf.weight][:4],
                "children": [
                    {
                        "name": mid.name,
                        "weight": mid.weight,
                        "score": mid.score,
                        "deducted": [_leaf_context(leaf, notes, cases) for leaf in _leaves(result, mid) if leaf.score < leaf.weight],
                        "full": [_leaf_context(leaf, notes, cases) for leaf in _leaves(result, mid) if leaf.score >= leaf.weight],
                    }
                    for mid in mids
                ],
            }
        )
    paragraphs, _ = render_paragraphs("template/analysis.md.j2", {"categories": categories})
    return [Section(name="analysis", title=title, paragraphs=paragraphs, tables=[scoring_table(result)])]
