"""Case → result: leaf rules, subtotals, total, grade and every check. Pure: no I/O."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from scoring.checks import stated_checks, structural_checks
from scoring.funds import compute_funds
from scoring.grades import grade_for
from scoring.models import PATH_SEPARATOR, Case
from scoring.numbers import HUNDRED, fmt, quantize
from scoring.results import NodeResult, ScoreResult
from scoring.rules import REGISTRY, RuleContext
from scoring.tree import Located, TreeIndex
from scoring.weights import resolve_weights


def count_findings(case: Case, index: TreeIndex) -> Counter[str]:
    """How many findings each leaf carries (findings with no indicator count nowhere)."""
    counts: Counter[str] = Counter()
    for finding in case.findings:
        if finding.indicator is not None:
            counts[index.resolve(finding.indicator).path] += 1
    return counts


def score_case(case: Case) -> ScoreResult:
    """Score every leaf by its rule, sum subtotals and the total, grade it, and check it."""
    decimals = case.rounding.decimals
    index = TreeIndex(case)
    weights = resolve_weights(case)
    funds = compute_funds(case.funds, decimals)
    findings = count_findings(case, index)

    exact: dict[str, Decimal] = {}
    rounded: dict[str, Decimal] = {}
    leaf_results: dict[str, NodeResult] = {}
    missing: list[str] = []
    for item in index.nodes:
        if item.node.children:
            continue
        rule = item.node.rule
        assert rule is not None  # guaranteed by the model
        context = RuleContext(
            weight=weights[item.path], findings_count=findings[item.path], fund_figures=funds.values, decimals=decimals
        )
        outcome = REGISTRY[rule.type].apply(rule, context)
        exact[item.path] = outcome.score
        rounded[item.path] = quantize(outcome.score, decimals)
        if outcome.missing_value:
            missing.append(item.path)
        leaf_results[item.path] = _node_result(item, weights, rounded[item.path], rule.type, outcome.audit, outcome.reason, findings[item.path], decimals)

    nodes: list[NodeResult] = []
    for item in reversed(index.nodes):
        if item.node.children:
            children = [f"{item.path}{PATH_SEPARATOR}{child.name}" for child in item.node.children]
            source = rounded if case.rounding.totals == "sum_of_rounded" else exact
            exact[item.path] = sum((source[path] for path in children), Decimal(0))
            rounded[item.path] = quantize(exact[item.path], decimals)
            parts = " + ".join(fmt(rounded[path], decimals) for path in children)
            audit = f"{parts} = {fmt(rounded[item.path], decimals)}"
            nodes.append(_node_result(item, weights, rounded[item.path], None, audit, None, 0, decimals))
        else:
            nodes.append(leaf_results[item.path])
    nodes.reverse()

    roots = [node.name for node in case.indicators]
    source = rounded if case.rounding.totals == "sum_of_rounded" else exact
    total = quantize(sum((source[name] for name in roots), Decimal(0)), decimals)
    grade = grade_for(total, case.full_score, case.grading)
    result = ScoreResult(
        project=case.project.name,
        full_score=case.full_score,
        total=total,
        rate=quantize(total / case.full_score * HUNDRED, decimals),
        grade=grade,
        nodes=nodes,
        funds=funds.metrics,
        checks=[],
    )
    checks = [
        *structural_checks(case, index, weights, result, findings, missing),
        *funds.checks,
        *stated_checks(case, index, result),
    ]
    return result.model_copy(update={"checks": checks})


def _node_result(
    item: Located,
    weights: dict[str, Decimal],
    score: Decimal,
    rule: str | None,
    audit: str,
    reason: str | None,
    findings: int,
    decimals: int,
) -> NodeResult:
    weight = weights[item.path]
    rate = quantize(score / weight * HUNDRED, decimals) if weight else None
    return NodeResult(
        path=item.path,
        name=item.node.name,
        level=item.level,
        parent=item.parent,
        is_leaf=not item.node.children,
        weight=weight,
        score=score,
        rate=rate,
        rule=rule,
        audit=audit,
        reason=reason,
        findings=findings,
    )

