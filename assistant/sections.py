"""Build each narrative section from the scoring result, the findings and precedents (the template path).

Every figure placed in the text is taken from the case or the scoring result;
the templates in prompts/template/ hold the wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant import precedents
from assistant.models import Section, SourceRef, TableData
from assistant.phrasing import phrasing_for
from assistant.problems import Problem, group_problems
from assistant.render import render_paragraphs
from scoring.models import Case
from scoring.numbers import fmt, fmt_short
from scoring.results import NodeResult, ScoreResult

EXAMPLES_PER_PROBLEM = 3
PROJECTS_NAMED = 3

TITLES = {
    "basic": "一、基本情况",
    "work": "二、绩效评价工作开展情况",
    "conclusion": "三、综合评价情况及评价结论",
    "analysis": "四、绩效评价指标分析",
    "experience": "五、主要经验及做法",
    "problems": "六、存在的问题及原因分析",
    "suggestions": "七、有关建议",
    "other": "八、其他需要说明的问题",
}


@dataclass
class DraftInput:
    """Everything a drafter may use: the case, its scoring result, grouped problems and an optional precedent index."""

    case: Case
    result: ScoreResult
    problems: list[Problem]
    index: Any = None  # a PrecedentIndex, or None to draft without precedents

    @classmethod
    def build(cls, case: Case, result: ScoreResult, index: Any = None) -> "DraftInput":
        return cls(case=case, result=result, problems=group_problems(case, result), index=index)


def _problem_context(problem: Problem, index: Any, detailed: bool = False) -> dict[str, Any]:
    projects = problem.projects
    limit = len(problem.findings) if detailed else EXAMPLES_PER_PROBLEM
    examples, seen = [], set()
    for finding in problem.findings:
        key = finding.issue or finding.description
        if key in seen:
            continue
        seen.add(key)
        examples.append({"issue": finding.issue or problem.nature, "project": finding.project, "description": finding.description})
        if len(examples) == limit:
            break
    cause, cause_ref = (problem.causes[0] if problem.causes else None), None
    if cause is None:
        topic = precedents.topic_words(problem.nature)
        query = " ".join([problem.nature, *problem.issues[:2]])
        for hit in precedents.find(index, query, "problems", k=5):
            found = precedents.cause_sentence(hit, topic, avoid=tuple(projects))
            if found:
                cause, cause_ref = found, precedents.source_ref(hit)
                break
    if cause is None:
        cause = phrasing_for(problem.nature).cause
    return {
        "nature": problem.nature,
        "projects": projects[:PROJECTS_NAMED],
        "n_projects": len(projects),
        "more_projects": len(projects) > PROJECTS_NAMED,
        "n_findings": len(problem.findings),
        "examples": examples,
        "leaves": [{"name": n.name, "weight": n.weight, "score": n.score} for n in problem.leaves if n.score < n.weight],
        "cause": cause,
        "cause_ref": cause_ref,
    }


def problems_section(data: DraftInput, title: str = "存在的问题及原因分析", detailed: frozenset[int] = frozenset()) -> Section:
    """One paragraph per problem; problems whose position is in ``detailed`` list every finding, not just three."""
    context = {"problems": [_problem_context(problem, data.index, i in detailed) for i, problem in enumerate(data.problems)]}
    paragraphs, _ = render_paragraphs("template/problems.md.j2", context)
    if not data.problems:
        paragraphs, _ = render_paragraphs("template/report_basic.md.j2", {"part": "other"})
    return Section(name="problems", title=title, paragraphs=paragraphs)


def suggestions_section(data: DraftInput, title: str = "有关建议") -> Section:
    items, titles = [], set()
    for problem in data.problems:
        phrasing = phrasing_for(problem.nature)
        heading = phrasing.suggestion_title if phrasing.suggestion_title not in titles else f"{phrasing.suggestion_title}（{problem.nature}）"
        titles.add(heading)
        precedent, precedent_ref = None, None
        topic = precedents.topic_words(problem.nature, phrasing.suggestion_title)
        for hit in precedents.find(data.index, f"{problem.nature} {phrasing.suggestion_title}", "suggestions", k=5):
            found = precedents.measure_sentence(hit, topic, avoid=tuple(problem.projects))
            if found:
                precedent, precedent_ref = found, precedents.source_ref(hit)
                break
        items.append(
            {
                "title": heading,
                "nature": problem.nature,
                "projects": problem.projects[:PROJECTS_NAMED],
                "more_projects": len(problem.projects) > PROJECTS_NAMED,
                "measure": phrasing.suggestion,
                "precedent": precedent,
                "precedent_ref": precedent_ref,
            }
        )
    paragraphs, _ = render_paragraphs("template/suggestions.md.j2", {"suggestions": items})
    return Section(name="suggestions", title=title, paragraphs=paragraphs)


def _children(result: ScoreResult, node: NodeResult) -> list[NodeResult]:
    return [child for child in result.nodes if child.parent == node.path]


def _leaves(result: ScoreResult, node: NodeResult) -> list[NodeResult]:
    prefix = node.path + "/"
    return [n for n in result.nodes if n.is_leaf and (n.path == node.path or n.path.startswith(prefix))]


def _leaf_context(leaf: NodeResult) -> dict[str, Any]:
    return {"name": leaf.name, "weight": leaf.weight, "score": leaf.score, "deduction": leaf.weight - leaf.score, "reason": leaf.reason, "audit": leaf.audit}


def analysis_section(data: DraftInput, title: str = "绩效评价指标分析") -> Section:
    result = data.result
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
                        "deducted": [_leaf_context(leaf) for leaf in _leaves(result, mid) if leaf.score < leaf.weight],
                    }
                    for mid in mids
                ],
            }
        )
    paragraphs, _ = render_paragraphs("template/analysis.md.j2", {"categories": categories})
    return Section(name="analysis", title=title, paragraphs=paragraphs, tables=[scoring_table(result)])


def conclusion_section(data: DraftInput, title: str = "综合评价情况及评价结论") -> Section:
    result = data.result
    rated = [c for c in result.categories if c.rate is not None]
    best = max(rated, key=lambda c: c.rate, default=None)  # type: ignore[arg-type, return-value]
    worst = min(rated, key=lambda c: c.rate, default=None)  # type: ignore[arg-type, return-value]
    context = {
        "project": data.case.project.name,
        "total": result.total,
        "grade": result.grade,
        "categories": result.categories,
        "best": best,
        "best_text": "相关工作完成情况较好。" if best is not None and best.score == best.weight else "表现相对较好。",
        "worst": worst if worst is not None and best is not None and worst.path != best.path and worst.score < worst.weight else None,
        "natures": [problem.nature for problem in data.problems[:3]],
    }
    paragraphs, _ = render_paragraphs("template/conclusion.md.j2", context)
    return Section(name="conclusion", title=title, paragraphs=paragraphs)


def scoring_table(result: ScoreResult) -> TableData:
    """The score table as rows: indicator (indented by level), weight, score, rate, how it was computed."""
    rows, bold = [], []
    for node in result.nodes:
        if not node.is_leaf:
            bold.append(len(rows))
        rows.append(["　" * (node.level - 1) + node.name, fmt_short(node.weight), fmt(node.score), f"{fmt(node.rate)}%" if node.rate is not None else "—", node.audit if node.is_leaf else ""])
    bold.append(len(rows))
    rows.append(["合计", fmt_short(result.full_score), fmt(result.total), f"{fmt(result.rate)}%", f"等级：{result.grade}"])
    return TableData(title="绩效评价指标评分表", header=["指标", "分值", "得分", "得分率", "评分依据"], rows=rows, bold_rows=bold)


def fact_section(data: DraftInput, part: str) -> Section:
    case, result = data.case, data.result
    metrics = {metric.key: metric.value for metric in result.funds}
    context = {
        "part": part,
        "project": case.project,
        "funds": case.funds,
        "metrics": metrics,
        "roots": [node.name for node in case.indicators],
        "full_score": case.full_score,
        "bands": [band.name for band in case.grading.bands],
    }
    paragraphs, _ = render_paragraphs("template/report_basic.md.j2", context)
    return Section(name=part, title=TITLES[part], paragraphs=paragraphs)


def report_sections(data: DraftInput) -> list[Section]:
    """The whole report following the 财预〔2020〕10号 outline, with facts, analysis, problems and suggestions filled."""
    return [
        fact_section(data, "basic"),
        fact_section(data, "work"),
        conclusion_section(data, TITLES["conclusion"]),
        analysis_section(data, TITLES["analysis"]),
        fact_section(data, "experience"),
        problems_section(data, TITLES["problems"]),
        suggestions_section(data, TITLES["suggestions"]),
        fact_section(data, "other"),
    ]


BUILDERS = {
    "problems": lambda data: [problems_section(data)],
    "suggestions": lambda data: [suggestions_section(data)],
    "analysis": lambda data: [analysis_section(data)],
    "conclusion": lambda data: [conclusion_section(data)],
    "report": report_sections,
}


def all_citations(sections: list[Section]) -> list[SourceRef]:
    seen: dict[str, SourceRef] = {}
    for section in sections:
        for paragraph in section.paragraphs:
            for sentence in paragraph.sentences:
                for ref in sentence.citations:
                    seen.setdefault(ref.display, ref)
    return list(seen.values())

