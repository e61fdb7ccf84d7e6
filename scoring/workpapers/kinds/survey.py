"""问卷 results: 调查对象 / 满意度 (/ 样本数); the overall row, or the sample-weighted mean, scores 满意度."""

from __future__ import annotations

from decimal import Decimal

from scoring.io import Problem
from scoring.workpapers.base import Parts, SheetKind
from scoring.workpapers.grid import Column, Grid, Header, squash

COLUMNS = (
    Column("subject", ("调查对象", "问卷对象", "问卷", "对象", "项目", "调查项目"), required=True),
    Column("rate", ("满意度", "满意率", "综合满意度", "满意度（%）"), required=True),
    Column("samples", ("样本数", "有效问卷", "有效问卷数", "问卷数量", "份数", "样本量")),
)
OVERALL = ("整体", "总体", "合计", "综合", "项目整体", "全部")


def read(grid: Grid, header: Header, parts: Parts, problems: list[Problem]) -> int:
    cols = header.columns
    count = 0
    for r in range(header.row + 1, len(grid.rows) + 1):
        subject = grid.text(r, cols["subject"])
        rate = grid.number(r, cols["rate"], "满意度", problems)
        if not subject or rate is None:
            continue
        if 0 < rate <= 1 and "%" not in grid.text(r, cols["rate"]):
            rate = rate * 100  # a cell formatted as a percentage holds 0.9442
        if any(word in squash(subject) for word in OVERALL):
            parts.survey_overall = rate
            continue
        count += 1
        parts.surveys.append((subject, rate, grid.number(r, cols.get("samples"), "样本数", problems), grid.where(r, None, subject)))
    if parts.survey_overall is None and parts.surveys:
        if all(samples for _, _, samples, _ in parts.surveys):
            total = sum((s for _, _, s, _ in parts.surveys if s), Decimal(0))
            parts.survey_overall = sum((rate * (s or 0) for _, rate, s, _ in parts.surveys), Decimal(0)) / total
            parts.notes.append("问卷无整体满意度行：按样本数加权平均")
        else:
            parts.survey_overall = sum((rate for _, rate, _, _ in parts.surveys), Decimal(0)) / len(parts.surveys)
            parts.notes.append("问卷无整体满意度行、也无样本数：按各调查对象简单平均")
    return count


KIND = SheetKind(name="survey", label="问卷", columns=COLUMNS, read=read, hints=("问卷", "满意度"), priority=45)
