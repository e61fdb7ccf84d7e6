"""Run the number guard on a draft and trace its figures: every drafter's last step."""

from __future__ import annotations

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
    return traced.model_copy(update={"guard": check_draft(traced, book)})
