"""Run the number guard on a draft and trace its figures: every drafter's last step."""

from __future__ import annotations

from assistant.claims import check_claims
from assistant.figures import FigureBook
from assistant.guard import check_draft, trace_figures
from assistant.models import Draft
from assistant.draft_input import DraftInput


def figure_book(data: DraftInput) -> FigureBook:
    return FigureBook.from_case(data.case, data.result)


def verify(draft: Draft, data: DraftInput, book: FigureBook | None = None) -> Draft:
    """Attach figure references and the guard result; a draft is never returned unchecked."""
    book = book or figure_book(data)
    traced = trace_figures(draft, book)
    guard = check_draft(traced, book)
    claims_checked, claim_violations, _ = check_claims(traced, data.case, data.index)
    guard = guard.model_copy(update={"claims_checked": claims_checked, "claim_violations": claim_violations, "ok": guard.ok and not claim_violations})
    names = {section.name for section in traced.sections}
    if names & {"problems", "suggestions", "report"} and not data.case.findings and deducted_leaves(data):
        guard = guard.model_copy(update={"missing": ["缺少问题清单，未核对事例：问题按扣分指标及其理由写出，请补充具体事例"]})
    return traced.model_copy(update={"guard": guard})


def deducted_leaves(data: DraftInput) -> list[dict[str, object]]:
    """Leaves that lost points, with the reason the case gives: what a problems draft stands on when there are no findings."""
    return [
        {"name": node.name, "weight": node.weight, "score": node.score, "deduction": node.weight - node.score, "reason": node.reason or ""}
        for node in data.result.nodes
        if node.is_leaf and node.score < node.weight
    ]
