"""The built-in report checks, one module per family; this module is the plugin that registers them.

Each check is a function of the read-only :class:`~checker.facts.ReportFacts`
declared with :func:`report_check`; :data:`REPORT_CHECKS` collects the
built-ins and those of installed plugins through the ``register_report_checks``
hook.
"""

from typing import Any

from checker.checks import (  # noqa: F401  (declaration)
    amounts,
    balances,
    counts,
    formulas,
    fund_tables,
    grade,
    items,
    rates,
    ratios,
    repeated,
    rules,
    sums,
    targets,
)
from checker.checks.base import BUILTIN_REPORT_CHECKS, REPORT_CHECKS, ReportCheck, finding, ordered_checks, report_check
from core.plugins import hookimpl


@hookimpl
def register_report_checks(register: Any) -> None:
    for check in BUILTIN_REPORT_CHECKS:
        register(check)


__all__ = ["REPORT_CHECKS", "ReportCheck", "finding", "ordered_checks", "report_check"]
