"""Sums: a parent's 分值/得分 against its children's, the full score and the total against the level-1 figures."""

from __future__ import annotations

from collections.abc import Iterator

from checker.checks.base import finding, places_of, q, report_check, s
from checker.facts import ReportFacts
from checker.findings import Finding
from scoring.results import Severity


@report_check("sums", title="上下级分值、得分合计", reads=("tree", "sums", "full", "text_full", "text_totals", "recomputed_total"), order=30)
def check_sums(facts: ReportFacts) -> Iterator[Finding]:
    tree = facts.tree
    for node in tree.walk():
        if not node.children:
            continue
        weight_sum, score_sum = facts.sums[id(node)]
        children = node.children
        child_places = [v.place for child in children[:3] for v in (child.weights[:1] or child.scores[:1])]
        if node.weights and weight_sum is not None and q(node.weights[0].value) != q(weight_sum):
            parts = " + ".join(s(facts.weight_of(child)) for child in children)
            yield finding("weight_sum", "error", [node.weights[0].place, *child_places],
                          f"“{node.path}”分值写作 {s(node.weights[0].value)}，但其下级指标分值合计为 {parts} = {s(weight_sum)}。",
                          node.weights[0].value, weight_sum)
        if node.scores and score_sum is not None and q(node.scores[0].value) != q(score_sum):
            parts = " + ".join(s(facts.score_of(child)) for child in children)
            yield finding("leaf_sum", "error", [node.scores[0].place, *child_places],
                          f"“{node.path}”得分写作 {s(node.scores[0].value)}，但其下级指标得分合计为 {parts} = {s(score_sum)}。",
                          node.scores[0].value, score_sum)
    full = facts.full
    if full is not None:
        for value in [*tree.full_scores, *facts.text_full]:
            if q(value.value) != q(full):
                weights = [facts.weight_of(root) for root in tree.roots]
                parts = " + ".join(f"{root.name} {s(w)}" for root, w in zip(tree.roots, weights))
                yield finding("weight_sum", "error", [value.place, *[r.weights[0].place for r in tree.roots if r.weights][:4]],
                              f"报告写总分值 {s(value.value)}，但一级指标分值合计为 {parts} = {s(full)}。", value.value, full)
                break
    total = facts.recomputed_total
    if total is None:
        return
    for value in [*tree.totals, *facts.text_totals]:
        if q(value.value) != q(total):
            severity: Severity = "warning" if value.value == q(total, places_of(value.value)) else "error"
            parts = " + ".join(f"{root.name} {s(facts.score_of(root))}" for root in tree.roots)
            yield finding("total", severity, [value.place, *[r.scores[0].place for r in tree.roots if r.scores][:4]],
                          f"报告写总得分 {s(value.value)}，但各一级指标得分合计为 {parts} = {s(total)}。"
                          + ("（仅为取整差异）" if severity == "warning" else ""), value.value, total)
