"""有关建议: one suggestion per problem, our measure plus a cited precedent measure."""

from __future__ import annotations

from assistant import precedents
from assistant.draft_input import DraftInput
from assistant.models import Section
from assistant.phrasing import phrasing_for
from assistant.render import render_paragraphs
from assistant.sections.base import section
from assistant.sections.problems import PROJECTS_NAMED


@section("suggestions", "有关建议", precedent_kind="suggestions", cues=("建议",), outline=70)
def build(data: DraftInput, title: str) -> list[Section]:
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
    if not items:
        from assistant.verify import deducted_leaves

        leaves = deducted_leaves(data)
        if leaves:  # no 问题清单: one suggestion per deducted leaf, marked for the evaluator, never an empty section
            paragraphs, _ = render_paragraphs("template/suggestions_from_deductions.md.j2", {"leaves": leaves})
            return [Section(name="suggestions", title=title, paragraphs=paragraphs)]
    paragraphs, _ = render_paragraphs("template/suggestions.md.j2", {"suggestions": items})
    return [Section(name="suggestions", title=title, paragraphs=paragraphs)]
