"""Deterministic scoring of 项目支出绩效评价 cases: every number jixiao writes comes from here.

The engine is pure (case in, result out); reading and writing files is in
:mod:`scoring.io` and :mod:`scoring.xlsx`.
"""

from scoring.engine import score_case
from scoring.grades import grade_for
from scoring.io import CaseFileError, Problem, case_from_data, dump_case, load_case, parse_case
from scoring.models import Case, Finding, Funds, Indicator, Project, Stated
from scoring.results import Check, FundMetric, NodeResult, ScoreResult
from scoring.rules import REGISTRY as RULES
from scoring.weights import even_split

__all__ = [
    "RULES",
    "Case",
    "CaseFileError",
    "Check",
    "Finding",
    "FundMetric",
    "Funds",
    "Indicator",
    "NodeResult",
    "Problem",
    "Project",
    "ScoreResult",
    "Stated",
    "case_from_data",
    "dump_case",
    "even_split",
    "grade_for",
    "load_case",
    "parse_case",
    "score_case",
]
