"""Checks: what does not add up inside a case, and every difference from what a document states."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import NamedTuple

from scoring.funds import FUND_LABELS, FUND_UNITS
from scoring.grades import grade_for
from scoring.models import Case
from scoring.numbers import fmt, fmt_short, quantize
from scoring.results import Check, NodeResult, ScoreResult
from scoring.table import NodeTable
from scoring.tree import TreeIndex


#: Rules whose score depends on the attached findings: a full score there means no finding was counted, not an oversight.
FINDING_RULES = frozenset({"per_finding", "composite"})


def stated_precision(value: Decimal) -> int:
    """Decimal places a document used for a figure (``93`` → 0, ``95.91`` → 2)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


class Marks(NamedTuple):
    """What the engine noted while it scored, so that the checks need not walk 10,000 nodes again."""

    missing: list[str]  # leaves whose rule lacked a value, in pre-order
    over: list[int]  # positions (pre-order) of nodes scored above their weight
    attached: list[int]  # positions of leaves with findings listed under them
    unattached: int  # findings that name no indicator


def structural_checks(case: Case, index: TreeIndex, table: NodeTable, findings: Counter[str], marks: Marks) -> list[Check]:
    """Weights that do not add up, scores above weight, loose findings, missing values."""
    d = case.rounding.decimals
    checks: list[Check] = []
    tree = index.tree
    paths, weights, scores = tree.paths, table.weights, table.scores
    for position, kids in sorted(tree.children.items()):  # the parents, in pre-order
        # The node's own weight: written in the case, or its share of a parent's split: even.
        # (A node with neither takes its children's sum, which then adds up by definition: not summed again.)
        up = tree.parents[position]
        given = tree.weights[position] is not None or (up >= 0 and tree.nodes[up].split == "even")
        if given and tree.nodes[position].split is None:
            path = paths[position]
            declared = weights[position]
            children_sum = sum([weights[k] for k in kids], Decimal(0))
            if children_sum != declared:
                checks.append(
                    Check(
                        kind="weight_sum",
                        severity="error",
                        location=path,
                        message=f"“{path}”下级分值合计 {fmt_short(children_sum, d)}，与本级分值 {fmt_short(declared, d)} 不符",
                        stated=declared,
                        computed=children_sum,
                    )
                )
    root_sum = sum([weights[i] for i in tree.roots], Decimal(0))
    if root_sum != case.full_score:
        checks.append(
            Check(
                kind="weight_sum",
                severity="error",
                location="full_score",
                message=f"一级指标分值合计 {fmt_short(root_sum, d)}，与满分 {fmt_short(case.full_score, d)} 不符",
                stated=case.full_score,
                computed=root_sum,
            )
        )
    for k in marks.over:
        checks.append(
            Check(
                kind="score_above_weight",
                severity="error",
                location=paths[k],
                message=f"“{paths[k]}”得分 {fmt(scores[k], d)} 超过分值 {fmt_short(weights[k], d)}",
                stated=weights[k],
                computed=scores[k],
            )
        )
    for i in (i for i, finding in enumerate(case.findings) if finding.indicator is None) if marks.unattached else ():
        finding = case.findings[i]
        label = finding.id or str(i + 1)
        checks.append(
            Check(
                kind="unattached_finding",
                severity="warning",
                location=f"findings[{i}]",
                message=f"问题清单第 {label} 条（{finding.nature}：{finding.issue or finding.project or ''}）未挂到任何指标，不计入扣分",
            )
        )
    # Pre-order, like the tree; only leaves with findings need a look.
    for k in marks.attached:
        path = paths[k]
        attached = findings[path]
        if not attached:
            continue
        rule = tree.nodes[k].rule
        if rule is None:
            continue
        explicit = getattr(rule, "count", None) if rule.type == "per_finding" else None
        if explicit is not None and attached and explicit != attached:
            checks.append(
                Check(
                    kind="finding_count",
                    severity="warning",
                    location=path,
                    message=f"“{path}”按 {explicit} 例扣分，但问题清单中挂在该指标上的有 {attached} 条",
                    stated=Decimal(explicit),
                    computed=Decimal(attached),
                )
            )
        counts_findings = rule.type in FINDING_RULES or (rule.type == "tiered" and rule.of == "findings")
        if not counts_findings and scores[k] == weights[k]:
            checks.append(
                Check(
                    kind="finding_without_deduction",
                    severity="warning",
                    location=path,
                    message=f"问题清单中有 {attached} 条挂在“{path}”上，但该指标得满分",
                )
            )
    for path in marks.missing:
        checks.append(
            Check(
                kind="missing_value",
                severity="warning",
                location=path,
                message=f"“{path}”缺少实际值（或无法计算），按规则得 0 分；如有说明，请改用 judgment 规则写明",
            )
        )
    return checks


def _differs(stated: Decimal, computed: Decimal, decimals: int) -> bool:
    return quantize(stated, decimals) != quantize(computed, decimals)


def stated_checks(case: Case, index: TreeIndex, result: ScoreResult) -> list[Check]:
    """Every difference between ``case.stated`` and the computed figures, both values and the place."""
    stated = case.stated
    if stated is None:
        return []
    d = case.rounding.decimals
    checks: list[Check] = []

    def at(key: str) -> NodeResult:
        return result.node_at(index.position(key))

    def add(kind: str, location: str, message: str, stated_value: object, computed_value: object, severity: str = "error", key: str = "") -> None:
        # Where this figure is written (stated.places), else the case's whole source.
        place = stated.places.get(key or location.removeprefix("stated.")) or stated.places.get(location) or stated.source
        where = f"（{place}）" if place else ""
        checks.append(
            Check(kind=kind, severity=severity, location=location, message=message + where, stated=stated_value, computed=computed_value)
        )

    # A placeholder tree's total says nothing about the report until its weights and rules are the evaluation plan's.
    provisional = "info" if stated.placeholder_tree else "error"
    caveat = "；案例的指标分值和规则是占位的，按评价方案调整前这一差异不说明报告有误" if stated.placeholder_tree else ""
    if stated.total is not None and _differs(stated.total, result.total, d):
        add("stated_total", "stated.total", f"报告所写总分 {fmt(stated.total, d)}，重算为 {fmt(result.total, d)}{caveat}", stated.total, result.total, severity=provisional)
    if stated.grade is not None and stated.grade != result.grade:
        add("stated_grade", "stated.grade", f"报告所写等级“{stated.grade}”，按重算总分应为“{result.grade}”{caveat}", stated.grade, result.grade, severity=provisional)
    if stated.grade is not None and stated.total is not None:
        own = grade_for(stated.total, case.full_score, case.grading)
        if own != stated.grade:
            add(
                "stated_grade_bands",
                "stated.grade",
                f"报告所写总分 {fmt(stated.total, d)} 按等级标准应为“{own}”，报告却写“{stated.grade}”",
                stated.grade,
                own,
            )
    if stated.full_score is not None and stated.full_score != case.full_score:
        add(
            "stated_full_score",
            "stated.full_score",
            f"报告合计行所写分值 {fmt_short(stated.full_score, d)}，各指标分值合计应为 {fmt_short(case.full_score, d)}",
            stated.full_score,
            case.full_score,
        )
    for key, value in stated.scores.items():
        node = at(key)
        if _differs(value, node.score, d):
            add("stated_score", node.path, f"“{node.path}”报告所写得分 {fmt(value, d)}，按规则重算为 {fmt(node.score, d)}（{node.audit}）", value, node.score, key=key)
        weight = stated.weights.get(key, node.weight)
        if value > weight:
            add("stated_above_weight", node.path, f"“{node.path}”报告所写得分 {fmt(value, d)} 超过分值 {fmt_short(weight, d)}", value, weight, key=key)
    for key, value in stated.weights.items():
        node = at(key)
        if value != node.weight:
            add("stated_weight", node.path, f"“{node.path}”报告所写分值 {fmt_short(value, d)}，应为 {fmt_short(node.weight, d)}", value, node.weight, key=key)
    for key, value in stated.rates.items():
        node = at(key)
        if node.rate is not None and _differs(value, node.rate, stated_precision(value)):
            add("stated_rate", node.path, f"“{node.path}”报告所写得分率 {value}%，按得分 / 分值应为 {fmt(node.rate, d)}%", value, node.rate, key=key)
    for i, group in enumerate(stated.groups):
        members = [at(key) for key in group.members]
        names = " + ".join(node.name for node in members)
        weight = sum((node.weight for node in members), Decimal(0))
        score = sum((node.score for node in members), Decimal(0))
        location = f"stated.groups[{i}]"
        if group.weight is not None and group.weight != weight:
            add("stated_group_weight", location, f"“{group.name}”报告所写分值 {fmt_short(group.weight, d)}，{names} 的分值合计为 {fmt_short(weight, d)}", group.weight, weight, key=group.name)
        if group.score is not None and _differs(group.score, score, d):
            add("stated_group_score", location, f"“{group.name}”报告所写得分 {fmt(group.score, d)}，{names} 重算合计为 {fmt(score, d)}", group.score, score, key=group.name)
        if group.rate is not None and weight:
            rate = quantize(score / weight * 100, d)
            if _differs(group.rate, rate, stated_precision(group.rate)):
                add("stated_group_rate", location, f"“{group.name}”报告所写得分率 {group.rate}%，按 {fmt(score, d)} / {fmt_short(weight, d)} 应为 {fmt(rate, d)}%", group.rate, rate, key=group.name)
    for key, value in stated.funds.items():
        metric = next((m for m in result.funds if m.key == key), None)
        label = FUND_LABELS.get(key, key)
        if metric is None or metric.value is None:
            add("stated_fund_unverifiable", f"funds.{key}", f"报告写{label} {value}，但案例缺少计算它所需的资金数据", value, None, "info")
            continue
        precision = stated_precision(value) if FUND_UNITS.get(key) == "%" else d
        if _differs(value, metric.value, precision):
            unit = FUND_UNITS.get(key, "")
            add(
                "stated_fund",
                f"funds.{key}",
                f"报告所写{label} {value}{unit}，按 {metric.formula} 应为 {fmt(metric.value, d)}{unit}",
                value,
                metric.value,
            )
    return checks
