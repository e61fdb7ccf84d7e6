"""The grade: written the same everywhere, and the one the bands give for the stated and the recomputed total."""

from __future__ import annotations

from collections.abc import Iterator

from checker.checks.base import finding, report_check, s
from checker.facts import ReportFacts
from checker.findings import Finding
from checker.statements import GradeStatement
from scoring.grades import grade_for


@report_check("grade", title="评价等级", reads=("grades", "grading", "bands", "band_place", "text_totals", "tree", "stated_grade", "stated_total", "full_score", "recomputed_grade", "recomputed_total"), order=50)
def check_grade(facts: ReportFacts) -> Iterator[Finding]:
    grades = facts.grades
    distinct: dict[str, GradeStatement] = {}
    for grade in grades:
        distinct.setdefault(grade.name, grade)
    if len(distinct) > 1:
        yield finding("repeated", "error", [g.place for g in distinct.values()],
                      "报告前后所写等级不一致：" + "；".join(f"第{g.place.line}行为“{g.name}”" for g in distinct.values()) + "。")
    names = {band.name for band in facts.grading.bands}
    stated = facts.stated_grade
    if not grades or stated not in names:
        return
    extra = [facts.band_place] if facts.band_place else []
    totals = [*facts.text_totals, *facts.tree.totals]
    if facts.stated_total is not None:
        own = grade_for(facts.stated_total, facts.full_score, facts.grading)
        if own != stated:
            rule = "按报告所列等级标准" if facts.bands else "按通用等级标准（90 分以上优、80 分以上良、60 分以上中）"
            yield finding("grade", "error", [grades[0].place, totals[0].place, *extra],
                          f"报告总得分 {s(facts.stated_total)}，{rule}应评为“{own}”，报告却写“{stated}”。", stated, own)
            return
    if facts.recomputed_grade is not None and facts.recomputed_grade != stated:
        yield finding("grade", "error", [grades[0].place, *extra],
                      f"按重算总分 {s(facts.recomputed_total)} 应评为“{facts.recomputed_grade}”，报告写“{stated}”。", stated, facts.recomputed_grade)
