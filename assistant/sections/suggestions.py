"""有关建议: one suggestion per problem, naming what it fixes and the projects concerned.

The measure is jixiao's own wording for the kind of problem (natures.yaml),
used once per report; a later problem of the same kind gets a measure built
from its own issues, so no two suggestions share a sentence. Precedent
measures are offered beside the paragraph (``Paragraph.offers``), never
written into the body.
"""

from __future__ import annotations

from assistant import precedents
from assistant.draft_input import DraftInput
from assistant.models import Offer, Paragraph, Section
from assistant.phrasing import phrasing_for
from assistant.problems import Problem, short_name
from assistant.render import render_paragraphs
from assistant.sections.base import section
from assistant.sections.problems import OFFERS_PER_PARAGRAPH, PROJECTS_NAMED


def measure_offers(data: DraftInput, problem: Problem, title: str) -> list[Offer]:
    """Precedent measures about the same problem, with their citations, for the evaluator to choose from."""
    offers: list[Offer] = []
    topic = precedents.topic_words(problem.nature, title)
    for hit in precedents.find(data.index, f"{problem.nature} {title}", "suggestions", k=6):
        found = precedents.measure_sentence(hit, topic, avoid=tuple(problem.projects))
        if found and all(found != o.text for o in offers):
            offers.append(Offer(text=found, kind="measure", citation=precedents.source_ref(hit), nature=problem.nature, field="suggestion"))
        if len(offers) == OFFERS_PER_PARAGRAPH:
            break
    return offers


@section("suggestions", "有关建议", precedent_kind="suggestions", cues=("建议",), outline=70)
def build(data: DraftInput, title: str) -> list[Section]:
    items, titles, used = [], set(), set()
    offers: list[list[Offer]] = []
    for problem in data.problems:
        phrasing = phrasing_for(problem.nature)
        heading = phrasing.suggestion_title if phrasing.suggestion_title not in titles else f"{phrasing.suggestion_title}（{problem.nature}）"
        titles.add(heading)
        fresh = phrasing.suggestion not in used
        used.add(phrasing.suggestion)
        projects = [short_name(p) for p in problem.projects]
        items.append(
            {
                "title": heading,
                "nature": problem.nature,
                "leaf_only": problem.leaf_only,
                "issues": problem.issues[:3],
                "projects": projects[:PROJECTS_NAMED],
                "more_projects": len(projects) > PROJECTS_NAMED,
                "measure": phrasing.suggestion if fresh else None,
            }
        )
        offers.append(measure_offers(data, problem, phrasing.suggestion_title))
    if not items:
        from assistant.verify import deducted_leaves

        leaves = deducted_leaves(data)
        if leaves:  # no 问题清单: one suggestion per deducted leaf, marked for the evaluator, never an empty section
            paragraphs, _ = render_paragraphs("template/suggestions_from_deductions.md.j2", {"leaves": leaves})
            return [Section(name="suggestions", title=title, paragraphs=paragraphs)]
    paragraphs, _ = render_paragraphs("template/suggestions.md.j2", {"suggestions": items})
    return [Section(name="suggestions", title=title, paragraphs=_attach(paragraphs, offers))]


def _attach(paragraphs: list[Paragraph], offers: list[list[Offer]]) -> list[Paragraph]:
    out, item = [], -1
    for paragraph in paragraphs:
        if paragraph.style == "heading":
            item += 1
        elif 0 <= item < len(offers) and offers[item]:
            paragraph = paragraph.model_copy(update={"offers": offers[item]})
        out.append(paragraph)
    return out
