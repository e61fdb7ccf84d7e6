"""The report checker: recompute a report's own figures and list every place where it disagrees with itself.

``check_report(path)`` reads a .docx, .pdf, .txt or .md report without any case
file, rebuilds its indicator tree from its scoring tables and sentences,
recomputes sums, rates, grades, ratios and fund identities (sums through the
scoring engine), and returns a :class:`CheckReport` whose findings quote and
locate every place involved.
"""

from checker.case import CaseBuildError
from checker.check import (
    case_of,
    check_bytes,
    check_document,
    check_report,
    check_text,
    check_with_case,
    report_case,
)
from checker.document import CheckError, load_report, load_report_bytes, report_from_text
from checker.findings import KINDS, CheckReport, Finding, IndicatorRow, Place

__all__ = [
    "KINDS",
    "CaseBuildError",
    "CheckError",
    "CheckReport",
    "Finding",
    "IndicatorRow",
    "Place",
    "case_of",
    "check_bytes",
    "check_document",
    "check_report",
    "check_text",
    "check_with_case",
    "load_report",
    "load_report_bytes",
    "report_case",
    "report_from_text",
]
