"""What a drafter may use: the case, its scoring result, grouped problems and an optional precedent source."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass

from assistant.precedents import SearchesPrecedents
from assistant.problems import Problem, group_problems

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
    def build(cls, case: Case, result: ScoreResult, index: SearchesPrecedents | None = None) -> "DraftInput":
        return cls(case=case, result=result, problems=group_problems(case, result), index=index)
