"""Deductions: a 扣 X 分、得 Y 分 sentence or note against the leaf's 分值 and its table score."""

from __future__ import annotations

from collections.abc import Iterator

from checker.checks.base import finding, q, report_check, s
from checker.facts import ReportFacts
from checker.findings import Finding
from checker.statements import read_item


@report_check("items", title="扣分表述与评分表", reads=("items", "tables"), order=60)
def check_items(facts: ReportFacts) -> Iterator[Finding]:
    for item, leaf in facts.items:
        weight = leaf.weight
        table = next((v for v in leaf.scores if v.source != "text"), None)
        score = item.score if item.score is not None else (weight - item.deduction if weight is not None and item.deduction is not None else None)
        if item.score is None and item.full and weight is not None:
            score = weight
        if weight is not None and item.deduction is not None and item.score is not None and q(weight - item.deduction) != q(item.score):
            yield finding("deduction", "error", [item.place, *([leaf.weights[0].place] if leaf.weights else [])],
                          f"“{leaf.name}”分值 {s(weight)}，正文写扣 {s(item.deduction)} 分、得 {s(item.score)} 分，但 {s(weight)} − {s(item.deduction)} = {s(weight - item.deduction)}。",
                          item.score, weight - item.deduction)
            continue
        if table is not None and score is not None and q(table.value) != q(score):
            said = f"得 {s(item.score)} 分" if item.score is not None else (f"扣 {s(item.deduction)} 分" if item.deduction is not None else "得满分")
            yield finding("deduction", "error", [item.place, table.place],
                          f"“{leaf.name}”正文写{said}（即 {s(score)} 分），评分表中得分为 {s(table.value)}。", score, table.value)
        elif weight is not None and score is not None and score > weight:
            yield finding("score_above_weight", "error", [item.place], f"“{leaf.name}”得分 {s(score)} 超过分值 {s(weight)}。", score, weight)
    for scoring_table in facts.tables:
        for row in scoring_table.rows:
            if not row.note or row.weight is None or row.score is None:
                continue
            deduction, _, full, _, _ = read_item(row.note)
            if deduction is not None and q(row.weight - deduction) != q(row.score):
                yield finding("deduction", "error", [row.place],
                              f"“{row.path[-1]}”分值 {s(row.weight)}、得分 {s(row.score)}，说明中却写扣 {s(deduction)} 分（{s(row.weight)} − {s(deduction)} = {s(row.weight - deduction)}）。",
                              deduction, row.weight - row.score)
            elif deduction is None and full and row.score != row.weight:
                yield finding("deduction", "error", [row.place], f"“{row.path[-1]}”说明写得满分，但得分 {s(row.score)}、分值 {s(row.weight)}。", row.score, row.weight)
