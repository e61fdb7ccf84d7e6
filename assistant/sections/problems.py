"""存在的问题及原因分析: one paragraph per problem, every claim from the case.

Each problem states its count (and amount, when the case gives amounts), its
strongest examples in full (the findings in severity order) and points to the
附件 问题清单 for the rest. Its cause is the evaluator's (``Finding.cause``) or
the cause a finding's own description gives (「原因是…」); where the case has
none the body says 【请补充原因】 and the precedent phrasings are *offered*
beside the paragraph (:class:`~assistant.models.Offer`), never written as fact.
"""

from __future__ import annotations

import re
from typing import Any

from assistant import precedents
from assistant.draft_input import DraftInput
from assistant.models import Offer, Paragraph, Section
from assistant.phrasing import phrasing_for
from assistant.problems import Problem, short_name
from assistant.render import render_paragraphs
from assistant.sections.base import section

EXAMPLES_PER_PROBLEM = 3
PROJECTS_NAMED = 3
OFFERS_PER_PARAGRAPH = 3
ASK_CAUSE = "【请补充原因】"
_CAUSE_IN_TEXT = re.compile(r"(?:主要)?原因(?:是|为|主要为|主要是)[:：]?\s*([^。；]{6,80})")


class Namer:
    """A project's name in running text: the full name (budget-line prefix dropped) first, its short name after."""

    def __init__(self, data: DraftInput) -> None:
        self.short: dict[str, str] = {}
        for finding in data.case.findings:
            if finding.project and finding.project_short:
                self.short.setdefault(finding.project, finding.project_short)
        for line in data.case.funds.lines:
            if line.short_name:
                for finding in data.case.findings:
                    if finding.project and (line.name in finding.project or finding.project in line.name):
                        self.short.setdefault(finding.project, line.short_name)
        self.seen: set[str] = set()

    def __call__(self, project: str) -> str:
        if project in self.seen and project in self.short:
            return self.short[project]
        self.seen.add(project)
        return short_name(project)


def case_cause(problem: Problem) -> str | None:
    """The cause the case gives: the evaluator's ``cause``, else a 「原因是…」 in a finding's own description."""
    if problem.causes:
        return problem.causes[0]
    for finding in problem.findings:
        match = _CAUSE_IN_TEXT.search(finding.description or "")
        if match:
            return match.group(1)
    return None


def cause_offers(data: DraftInput, problem: Problem) -> list[Offer]:
    """Precedent causes about the same problem, and jixiao's general wording, offered for the evaluator to accept."""
    ids = [f.id for f in problem.findings if f.id and not f.cause]
    offers: list[Offer] = []
    topic = precedents.topic_words(problem.nature)
    query = " ".join([problem.nature, *problem.issues[:2]])
    for hit in precedents.find(data.index, query, "problems", k=6):
        found = precedents.cause_sentence(hit, topic, avoid=tuple(problem.projects))
        if found and all(found != o.text for o in offers):
            offers.append(Offer(text=found, kind="cause", citation=precedents.source_ref(hit), nature=problem.nature, finding_ids=ids))
        if len(offers) == OFFERS_PER_PARAGRAPH - 1:
            break
    offers.append(Offer(text=phrasing_for(problem.nature).cause, kind="cause", nature=problem.nature, finding_ids=ids))
    return offers


def _leaf_mentions(problem: Problem, mentioned: set[str]) -> tuple[list[dict[str, Any]], list[str]]:
    first, again = [], []
    for leaf in problem.leaves:
        if leaf.score >= leaf.weight:
            continue
        if leaf.path in mentioned:
            again.append(leaf.name)
        else:
            mentioned.add(leaf.path)
            first.append({"name": leaf.name, "weight": leaf.weight, "score": leaf.score})
    return first, again


def _problem_context(data: DraftInput, problem: Problem, namer: Namer, mentioned: set[str], detailed: bool = False) -> dict[str, Any]:
    limit = len(problem.findings) if detailed else EXAMPLES_PER_PROBLEM
    examples, seen = [], set()
    for finding in problem.findings:
        key = finding.description or finding.issue
        if key in seen:
            continue
        seen.add(key)
        examples.append({"issue": finding.issue or problem.nature, "project": namer(finding.project) if finding.project else "", "description": finding.description})
        if len(examples) == limit:
            break
    amounts = [f.amount for f in problem.findings if f.amount is not None]
    projects = [short_name(p) for p in problem.projects]
    leaves_first, leaves_again = _leaf_mentions(problem, mentioned)
    leaf = problem.leaves[0] if problem.leaf_only else None
    return {
        "nature": problem.nature,
        "title": f"{problem.nature}有待提高" if problem.leaf_only else problem.nature,
        "leaf_only": problem.leaf_only,
        "leaf": {"name": leaf.name, "weight": leaf.weight, "score": leaf.score, "reason": leaf.reason or ""} if leaf else None,
        "projects": projects[:PROJECTS_NAMED],
        "n_projects": len(projects),
        "more_projects": len(projects) > PROJECTS_NAMED,
        "n_findings": len(problem.findings),
        "amount": sum(amounts) if amounts else None,
        "examples": examples,
        "more_examples": len(problem.findings) > len(examples),
        "leaves": leaves_first,
        "leaves_again": leaves_again,
        "cause": case_cause(problem),
        "ask_cause": ASK_CAUSE,
    }


def problems_section(data: DraftInput, title: str = "存在的问题及原因分析", detailed: frozenset[int] = frozenset()) -> Section:
    """One paragraph per problem; problems whose position is in ``detailed`` list every finding, not just three."""
    namer, mentioned = Namer(data), set()  # type: ignore[var-annotated]
    contexts = [_problem_context(data, problem, namer, mentioned, i in detailed) for i, problem in enumerate(data.problems)]
    paragraphs, _ = render_paragraphs("template/problems.md.j2", {"problems": contexts})
    if not data.problems:
        from assistant.verify import deducted_leaves

        leaves = deducted_leaves(data)
        # No 问题清单 but points were lost: the problems are the deductions and their reasons, never 「无。」.
        template = "template/problems_from_deductions.md.j2" if leaves else "template/report_basic.md.j2"
        paragraphs, _ = render_paragraphs(template, {"leaves": leaves, "part": "other"})
        return Section(name="problems", title=title, paragraphs=paragraphs)
    return Section(name="problems", title=title, paragraphs=_attach_offers(paragraphs, [cause_offers(data, p) if c["cause"] is None else [] for p, c in zip(data.problems, contexts)]))


def _attach_offers(paragraphs: list[Paragraph], offers: list[list[Offer]]) -> list[Paragraph]:
    """The offers of problem i go on the body paragraph after its heading i."""
    out, problem = [], -1
    for paragraph in paragraphs:
        if paragraph.style == "heading":
            problem += 1
        elif 0 <= problem < len(offers) and offers[problem] and ASK_CAUSE in paragraph.text:
            paragraph = paragraph.model_copy(update={"offers": offers[problem]})
        out.append(paragraph)
    return out


@section("problems", "存在的问题及原因分析", precedent_kind="problems", cues=("问题", "存在的问题", "原因分析"), file_label="存在的问题", outline=60)
def build(data: DraftInput, title: str) -> list[Section]:
    return [problems_section(data, title)]
