"""Check a report against itself: analyse it once, run every registered report check, list every difference."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from checker.case import CaseBuildError, build_case, build_scaffold
from checker.checks import ordered_checks
from checker.document import ReportDoc, load_report, load_report_bytes, report_from_text
from checker.facts import ReportFacts, analyse
from checker.findings import CheckReport, Finding, IndicatorRow
from scoring.models import Case

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def check_report(path: str | Path) -> CheckReport:
    """Read the report at ``path`` and check it (raises :class:`checker.CheckError` for unreadable input)."""
    return check_document(load_report(path))


def check_text(text: str, name: str = "report.txt", with_lines: bool = False) -> CheckReport:
    """Check a report given as text (``name``'s extension: .md for Markdown)."""
    return check_document(report_from_text(text, name), with_lines)


def check_bytes(data: bytes, name: str, with_lines: bool = False) -> CheckReport:
    """Check an uploaded report from its bytes; ``name``'s extension picks the loader (no temporary file)."""
    return check_document(load_report_bytes(data, name), with_lines)


def _first_line(finding: Finding) -> int:
    return finding.places[0].line if finding.places else 0


def deduplicate(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per place and figure.

    - the same figure at the same place (first line, stated, recomputed) found by two checks: the first is kept;
    - the same finding at several places (004 quotes one 在线率 sentence in the text and again in 附件2):
      one finding listing every place.
    """
    unique: list[Finding] = []
    at_place: set[tuple[str, int, str, str]] = set()
    same: dict[tuple[str, str, str, str, str], int] = {}
    for finding in findings:
        figure = (str(finding.stated), str(finding.recomputed))
        place_key = (finding.kind if finding.stated is None else "", _first_line(finding), *figure)
        if place_key in at_place or (finding.kind, _first_line(finding), *figure) in at_place:
            continue
        at_place.add(place_key)
        at_place.add((finding.kind, _first_line(finding), *figure))
        text_key = (finding.kind, finding.severity, *figure, finding.explanation)
        if text_key in same:
            kept = unique[same[text_key]]
            places = [*kept.places, *(place for place in finding.places if place not in kept.places)]
            unique[same[text_key]] = kept.model_copy(update={"places": places})
            continue
        same[text_key] = len(unique)
        unique.append(finding)
    return unique


def run_checks(facts: ReportFacts) -> list[Finding]:
    """Every registered check's findings, without repeats, errors first, then by line."""
    findings = deduplicate(finding for check in ordered_checks() for finding in check.run(facts))
    return sorted(findings, key=lambda f: (_SEVERITY_ORDER[f.severity], _first_line(f)))


def build_report(facts: ReportFacts, findings: list[Finding]) -> CheckReport:
    """The report of ``facts``: the figures it states and recomputes, its indicator rows and ``findings``."""
    rows = []
    for node in facts.tree.walk():
        weight_sum, score_sum = facts.sums.get(id(node), (None, None))
        rows.append(IndicatorRow(
            path=node.path, level=node.level, weight=node.weight, score=node.score,
            rate=node.rates[0].value if node.rates else None,
            recomputed_weight=weight_sum, recomputed_score=score_sum, is_leaf=not node.children,
        ))
    return CheckReport(
        source=facts.doc.source,
        title=facts.doc.title,
        full_score=facts.full if facts.full is not None else facts.full_score,
        stated_total=facts.stated_total,
        recomputed_total=facts.recomputed_total,
        stated_grade=facts.stated_grade,
        recomputed_grade=facts.recomputed_grade,
        bands=list(facts.bands),
        indicators=rows,
        funds=dict(facts.funds),
        findings=findings,
    )


def _check(doc: ReportDoc) -> tuple[ReportFacts, CheckReport]:
    facts = analyse(doc)
    return facts, build_report(facts, run_checks(facts))


def check_document(doc: ReportDoc, with_lines: bool = False) -> CheckReport:
    """Check an already loaded report; ``with_lines`` adds the text the places' line numbers count (for a viewer)."""
    report = _check(doc)[1]
    return report.model_copy(update={"lines": doc.text.split("\n"), "first_line": doc.line_base + 1}) if with_lines else report


def report_case(path: str | Path) -> Case:
    """The case file content for ``jixiao check --case`` (raises :class:`CaseBuildError`)."""
    return case_of(load_report(path))


def check_with_case(doc: ReportDoc) -> tuple[CheckReport, Case | None, str | None]:
    """Check ``doc`` and build its case in one pass: (report, case or ``None``, why there is no case)."""
    facts, report = _check(doc)
    if not facts.tree.roots:  # no scoring table: the national common framework, with the report's figures as stated
        scaffold = build_scaffold(
            doc.title, year=doc.doc.meta.year, region=doc.doc.meta.region, bands=report.bands or None,
            funds=report.funds, stated_total=report.stated_total, stated_grade=report.stated_grade,
            stated_full_score=next((v.value for v in facts.text_full), None),
        )
        return report, scaffold, None
    try:
        case = build_case(
            facts.tree, doc.title, year=doc.doc.meta.year, region=doc.doc.meta.region,
            full_score=report.full_score, bands=report.bands or None, funds=report.funds,
            stated_total=report.stated_total, stated_grade=report.stated_grade,
            stated_full_score=facts.tree.full_scores[0].value if facts.tree.full_scores else None,
            doc=doc,
        )
    except CaseBuildError as exc:
        return report, None, str(exc)
    except ValueError as exc:  # pydantic: the report's tree does not make a valid case
        return report, None, f"报告中的指标体系无法生成有效的案例文件（{str(exc).splitlines()[0]}）"
    return report, case, None


def case_of(doc: ReportDoc) -> Case:
    """The case built from ``doc`` (raises :class:`CaseBuildError`)."""
    _, case, reason = check_with_case(doc)
    if case is None:
        raise CaseBuildError(reason or "无法生成案例文件")
    return case


__all__ = ["build_report", "case_of", "check_bytes", "check_document", "check_report", "check_text", "check_with_case", "deduplicate", "report_case", "run_checks"]
