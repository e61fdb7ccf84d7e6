"""Case → result: leaf rules, subtotals, total, grade and every check. Pure: no I/O."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from scoring.checks import stated_checks, structural_checks
from scoring.funds import compute_funds
from scoring.grades import grade_for
from scoring.models import PATH_SEPARATOR, Case
from scoring.numbers import HUNDRED, quantize
from scoring.results import NodeResult, ScoreResult
from scoring.rules import REGISTRY, RuleContext
from scoring.tree import Located, TreeIndex
from scoring.weights import resolve_weights


def score_case(case: Case) -> ScoreResult:
    """Score every leaf by its rule, sum subtotals and the total, grade it, and check it."""
    decimals = case.rounding.decimals
    index = TreeIndex(case)
    weights = resolve_weights(case, index.nodes)
    funds = compute_funds(case.funds, decimals)
    by_leaf = index.findings_by_leaf(case.findings)
    findings: Counter[str] = Counter({path: len(group) for path, group in by_leaf.items()})
    waived_by_leaf = {path: n for path, group in by_leaf.items() if (n := sum(1 for f in group if f.waived is not None))}

    totals_from = case.rounding.totals
    exact: dict[str, Decimal] = {}
    rounded: dict[str, Decimal] = {}
    shown: dict[str, str] = {}  # rounded scores as text, reused in the parents' audits
    missing: list[str] = []
    nodes: list[NodeResult] = []
    # Reversed pre-order visits every child before its parent.
    for item in reversed(index.nodes):
        path = item.path
        if item.node.children:
            children = [f"{path}{PATH_SEPARATOR}{child.name}" for child in item.node.children]
            source = rounded if totals_from == "sum_of_rounded" else exact
            exact[path] = sum((source[child] for child in children), Decimal(0))
            rounded[path] = quantize(exact[path], decimals)
            shown[path] = f"{rounded[path]:.{decimals}f}"
            audit = f"{' + '.join(shown[child] for child in children)} = {shown[path]}"
            nodes.append(_node_result(item, weights[path], rounded[path], None, audit, None, 0, decimals))
            continue
        rule = item.node.rule
        assert rule is not None  # guaranteed by the model
        attached = by_leaf.get(path, ())
        waived = waived_by_leaf.get(path, 0)
        context = RuleContext(
            weight=weights[path],
            findings_count=len(attached) - waived,
            fund_figures=funds.values,
            decimals=decimals,
            findings=attached,
            waived_count=waived,
        )
        outcome = REGISTRY[rule.type].apply(rule, context)
        exact[path] = outcome.score
        rounded[path] = quantize(outcome.score, decimals)
        shown[path] = f"{rounded[path]:.{decimals}f}"
        if outcome.missing_value:
            missing.append(path)
        nodes.append(_node_result(item, weights[path], rounded[path], rule.type, outcome.audit, outcome.reason, findings[path], decimals))
    nodes.reverse()
    missing.reverse()

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
    weight: Decimal,
    score: Decimal,
    rule: str | None,
    audit: str,
    reason: str | None,
    findings: int,
    decimals: int,
) -> NodeResult:
    rate = quantize(score / weight * HUNDRED, decimals) if weight else None
    # Every value is already typed and rounded here; skip re-validation (10,000-leaf cases).
    return NodeResult.model_construct(
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
