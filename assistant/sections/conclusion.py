"""综合评价情况及评价结论: total, grade, the best and the weakest category, the main problems."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.draft_input import DraftInput
from assistant.models import Section
from assistant.render import render_paragraphs
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
    worst = min(rated, key=_rate, default=None)
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
    return [Section(name="conclusion", title=title, paragraphs=paragraphs)]
