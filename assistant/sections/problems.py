"""存在的问题及原因分析: one paragraph per problem (findings grouped by 问题定性, in cost order)."""

from __future__ import annotations

from typing import Any

from assistant import precedents
from assistant.draft_input import DraftInput
from assistant.models import Section
from assistant.phrasing import phrasing_for
from assistant.problems import Problem
from assistant.render import render_paragraphs
from assistant.sections.base import section

EXAMPLES_PER_PROBLEM = 3
PROJECTS_NAMED = 3


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
        from assistant.verify import deducted_leaves

        leaves = deducted_leaves(data)
        # No 问题清单 but points were lost: the problems are the deductions and their reasons, never 「无。」.
        template = "template/problems_from_deductions.md.j2" if leaves else "template/report_basic.md.j2"
        paragraphs, _ = render_paragraphs(template, {"leaves": leaves, "part": "other"})
    return Section(name="problems", title=title, paragraphs=paragraphs)


@section("problems", "存在的问题及原因分析", precedent_kind="problems", cues=("问题", "存在的问题", "原因分析"), file_label="存在的问题", outline=60)
def build(data: DraftInput, title: str) -> list[Section]:
    return [problems_section(data, title)]
