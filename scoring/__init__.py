"""Deterministic scoring of 项目支出绩效评价 cases: every number jixiao writes comes from here.

The engine is pure (case in, result out); reading and writing files is in
:mod:`scoring.io` and :mod:`scoring.xlsx`.

The names below are loaded on first use (PEP 562), so importing a small part
such as :mod:`scoring.numbers` does not build the case model or load YAML: a
``jixiao search`` process needs neither.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scoring.engine import score_case
    from scoring.grades import grade_for
    from scoring.io import CaseFileError, Problem, case_from_data, dump_case, load_case, parse_case
    from scoring.models import Case, Finding, Funds, Indicator, Project, Stated
    from scoring.results import Check, FundMetric, NodeResult, ScoreResult
    from scoring.rules import REGISTRY as RULES
    from scoring.weights import even_split

#: Public name → (module, attribute in it).
_EXPORTS: dict[str, tuple[str, str]] = {
    "RULES": ("scoring.rules", "REGISTRY"),
    "Case": ("scoring.models", "Case"),
    "CaseFileError": ("scoring.io", "CaseFileError"),
    "Check": ("scoring.results", "Check"),
    "Finding": ("scoring.models", "Finding"),
    "FundMetric": ("scoring.results", "FundMetric"),
    "Funds": ("scoring.models", "Funds"),
    "Indicator": ("scoring.models", "Indicator"),
    "NodeResult": ("scoring.results", "NodeResult"),
    "Problem": ("scoring.io", "Problem"),
    "Project": ("scoring.models", "Project"),
    "ScoreResult": ("scoring.results", "ScoreResult"),
    "Stated": ("scoring.models", "Stated"),
    "case_from_data": ("scoring.io", "case_from_data"),
    "dump_case": ("scoring.io", "dump_case"),
    "even_split": ("scoring.weights", "even_split"),
    "grade_for": ("scoring.grades", "grade_for"),
    "load_case": ("scoring.io", "load_case"),
    "parse_case": ("scoring.io", "parse_case"),
    "score_case": ("scoring.engine", "score_case"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'scoring' has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
