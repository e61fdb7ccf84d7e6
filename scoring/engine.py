"""Case → result: leaf rules, subtotals, total, grade and every check. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from pydantic import TypeAdapter

from scoring.checks import stated_checks, structural_checks
from scoring.funds import compute_funds
from scoring.grades import grade_for
from scoring.models import PATH_SEPARATOR, Case, Finding
from scoring.numbers import HUNDRED, fmt, quantize
from scoring.results import NodeResult, ScoreResult
from scoring.rules import REGISTRY, RuleContext
from scoring.tree import TreeIndex
from scoring.weights import resolve_weights


#: Rules that may read each finding's 问题定性 or severity (``weighted``); the rest only count.
WEIGHING_RULES = frozenset({"per_finding", "composite"})


def score_case(case: Case) -> ScoreResult:
    """Score every leaf by its rule, sum subtotals and the total, grade it, and check it."""
    decimals = case.rounding.decimals
    index = TreeIndex(case)
    weights = resolve_weights(case, index.nodes)
    funds = compute_funds(case.funds, decimals)
    findings, waived_by_leaf = index.finding_counts(case.findings)
    by_leaf: dict[str, list[Finding]] | None = None  # grouped only if some rule weighs findings by kind

    totals_from = case.rounding.totals
    fund_values = funds.values
    exact: dict[str, Decimal] = {}
    rounded: dict[str, Decimal] = {}
    shown: dict[str, str] = {}  # rounded scores as text, reused in the parents' audits
    missing: list[str] = []
    nodes: list[dict[str, object]] = []
    registry = REGISTRY
    source_of_totals = rounded if totals_from == "sum_of_rounded" else exact
    # Reversed pre-order visits every child before its parent. The loop body runs 10,000 times on a large
    # case: counts use .get (a Counter's __missing__ is a Python call) and the node rows are built inline.
    for item in reversed(index.nodes):
        path = item.path
        node = item.node
        weight = weights[path]
        if node.children:
            children = [f"{path}{PATH_SEPARATOR}{child.name}" for child in node.children]
            value = sum([source_of_totals[child] for child in children], Decimal(0))
            exact[path] = value
            score = rounded[path] = quantize(value, decimals)
            text = shown[path] = fmt(score, decimals)
            if len(children) == 1:  # one child: its score carried up, not an identity like 2.50 = 2.50
                audit = f"同“{node.children[0].name}”得分 {text}"
            else:
                audit = f"{' + '.join([shown[child] for child in children])} = {text}"
            rule_type, reason, attached_count, waived = None, None, 0, 0
        else:
            rule = node.rule
            assert rule is not None  # guaranteed by the model
            attached_count = findings.get(path, 0)
            waived = waived_by_leaf.get(path, 0) if waived_by_leaf else 0
            attached: Sequence[Finding] = ()
            if rule.type in WEIGHING_RULES and rule.weighted:
                if by_leaf is None:
                    by_leaf = index.findings_by_leaf(case.findings)
                attached = by_leaf.get(path, ())
            outcome = registry[rule.type].apply(rule, RuleContext(weight, attached_count - waived, fund_values, decimals, attached, waived))
            exact[path] = outcome.score
            score = rounded[path] = quantize(outcome.score, decimals)
            shown[path] = fmt(score, decimals)
            if outcome.missing_value:
                missing.append(path)
            rule_type, audit, reason = rule.type, outcome.audit, outcome.reason
        nodes.append({
            "path": path, "name": node.name, "level": item.level, "parent": item.parent, "is_leaf": not node.children,
            "weight": weight, "score": score, "rate": quantize(score / weight * HUNDRED, decimals) if weight else None,
            "rule": rule_type, "audit": audit, "reason": reason, "findings": attached_count - waived,
        })
    nodes.reverse()
    missing.reverse()
    # One validation call for every node (a model per node costs more than the rules themselves on 10,000 leaves).
    node_results = _NODE_LIST.validate_python(nodes)

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
        nodes=node_results,
        funds=funds.metrics,
        checks=[],
    )
    checks = [
        *structural_checks(case, index, weights, result, findings, missing),
        *funds.checks,
        *stated_checks(case, index, result),
    ]
    return result.model_copy(update={"checks": checks})


_NODE_LIST: TypeAdapter[list[NodeResult]] = TypeAdapter(list[NodeResult])
