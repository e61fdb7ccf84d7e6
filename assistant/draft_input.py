"""What a drafter may use: the case, its scoring result, grouped problems and an optional precedent source."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.precedents import SearchesPrecedents
from assistant.problems import Problem, ProblemOrder, group_problems

if TYPE_CHECKING:  # types only: importing the case model costs start-up time
    from scoring.models import Case
    from scoring.results import ScoreResult


@dataclass
class DraftInput:
    """Everything a drafter may use; ``index`` is None to draft without precedents."""

    case: Case
    result: ScoreResult
    problems: list[Problem]
    index: SearchesPrecedents | None = None

    @classmethod
    def build(cls, case: Case, result: ScoreResult, index: SearchesPrecedents | None = None, order: ProblemOrder = "points") -> "DraftInput":
        """``order``: problems by points lost (default) or by the framework 决策→过程→产出→效益."""
        return cls(case=case, result=result, problems=group_problems(case, result, order), index=index)
