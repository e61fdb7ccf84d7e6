"""综合评价情况及评价结论: total, grade, each category, where the points were lost, the main problems, the score table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.draft_input import DraftInput
from assistant.models import Section
from assistant.render import render_paragraphs
from assistant.sections.analysis import scoring_table
from assistant.sections.base import section

if TYPE_CHECKING:  # types only: importing the case model costs start-up time
    from scoring.results import NodeResult



def _rate(node: NodeResult) -> float:
    return float(node.rate or 0)


@section("conclusion", "综合评价情况及评价结论", precedent_kind="conclusion", cues=("结论", "综合评价"), file_label="评价结论", outline=30)
def build(data: DraftInput, title: str) -> list[Section]:
    result = data.result
    rated = [c for c in result.categories if c.rate is not None]
    best = max(rated, key=_rate, default=None)
    lost = sorted((c for c in result.categories if c.score < c.weight), key=lambda c: (-(c.weight - c.score), result.categories.index(c)))
    context = {
        "project": data.case.project.name,
        "total": result.total,
        "grade": result.grade,
        "categories": result.categories,
        "best": best if best is not None and best.score == best.weight else None,
        "lost": [{"name": c.name, "deduction": c.weight - c.score, "rate": c.rate} for c in lost[:2]],
        "natures": [problem.nature for problem in data.problems[:3] if not problem.leaf_only],
    }
    paragraphs, _ = render_paragraphs("template/conclusion.md.j2", context)
    return [Section(name="conclusion", title=title, paragraphs=paragraphs, tables=[scoring_table(result)])]
