"""Case → result: leaf rules, subtotals, total, grade and every check. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from scoring.checks import Marks, stated_checks, structural_checks
from scoring.funds import compute_funds
from scoring.grades import grade_for
from scoring.models import Case, Finding
from scoring.numbers import HUNDRED, ZERO, quantize, quantum
from scoring.results import ScoreResult
from scoring.rules import REGISTRY, RuleContext
from scoring.rules.base import RuleFunction
from scoring.table import NodeTable
from scoring.tree import Tree, TreeIndex
from scoring.weights import weights_at


def score_case(case: Case) -> ScoreResult:
    """Score every leaf by its rule, sum subtotals and the total, grade it, and check it."""
    return _score(case)


def _score(case: Case) -> ScoreResult:
    decimals = case.rounding.decimals
    index = TreeIndex(case)
    tree = index.tree
    paths, rules, children_of = tree.paths, tree.rules, tree.children
    weights = weights_at(case, tree)
    funds = compute_funds(case.funds, decimals)
    findings, waived_by_leaf, unattached = index.finding_counts(case.findings)
    by_leaf: dict[str, list[Finding]] | None = None  # grouped only if some rule weighs findings by kind

    fund_values = funds.values
    size = len(paths)
    exact: list[Decimal] = [ZERO] * size
    rounded: list[Decimal] = [ZERO] * size
    reasons: list[str | None] = [None] * size
    counts: list[int] = [0] * size
    waived_at: list[int] = [0] * size
    weighed: dict[int, Sequence[Finding]] = {}  # the findings a weighing rule read, by position
    source = rounded if case.rounding.totals == "sum_of_rounded" else exact
    appliers: dict[str, RuleFunction] = {}
    missing: list[str] = []
    attached_at: list[int] = []
    over: list[int] = []  # positions scored above their weight
    places = quantum(decimals)  # quantize() inlined below: the loops round 10,000 times
    # The loop body runs 10,000 times on a large case: positions instead of paths, counts by .get (a Counter's
    # __missing__ is a Python call), figures in flat lists; result objects, rates and audits are written when
    # read (scoring.table).
    for i in tree.leaves:
        rule = rules[i]
        assert rule is not None  # a leaf has a rule: the model requires it
        rule_type = rule.type
        path = paths[i]
        counted = findings.get(path, 0)
        waived = 0
        attached: Sequence[Finding] = ()
        if counted:
            attached_at.append(i)
            if waived_by_leaf:
                waived = waived_at[i] = waived_by_leaf.get(path, 0)
                counted -= waived
            if rule.weighted:  # the rule reads each finding's 问题定性 or severity; the rest only count them
                if by_leaf is None:
                    by_leaf = index.findings_by_leaf(case.findings)
                attached = weighed[i] = by_leaf.get(path, ())
            counts[i] = counted
        apply = appliers.get(rule_type)
        if apply is None:
            apply = appliers[rule_type] = REGISTRY[rule_type].apply
        weight = weights[i]
        outcome = apply(rule, _context(RuleContext, (weight, counted, fund_values, decimals, attached, waived)))
        value = exact[i] = outcome.score
        if outcome.missing_value:
            missing.append(path)
        reasons[i] = outcome.reason
        try:
            score = rounded[i] = value.quantize(places, ROUND_HALF_UP)
        except InvalidOperation:  # more digits than the context holds: quantize() widens it
            score = rounded[i] = quantize(value, decimals)
        if score > weight:
            over.append(i)
    # Then the parents, deepest first (reversed pre-order), so that every child is summed before its parent.
    for i in sorted(children_of, reverse=True):
        value = exact[i] = sum([source[k] for k in children_of[i]], ZERO)
        try:
            score = rounded[i] = value.quantize(places, ROUND_HALF_UP)
        except InvalidOperation:
            score = rounded[i] = quantize(value, decimals)
        if score > weights[i]:
            over.append(i)
    over.sort()  # pre-order, as the checks list them

    table = NodeTable(tree, weights, rounded, reasons, counts, waived_at, weighed, fund_values, decimals)
    total = quantize(sum([source[i] for i in tree.roots], ZERO), decimals)  # the roots, in order
    # Built without validating again what the engine computed; its nodes are built when first read.
    result = ScoreResult.built(
        {
            "project": case.project.name,
            "full_score": case.full_score,
            "total": total,
            "rate": quantize(total / case.full_score * HUNDRED, decimals),
            "grade": grade_for(total, case.full_score, case.grading),
            "funds": funds.metrics,
            "checks": [],
        },
        table,
    )
    checks = [
        *structural_checks(case, index, table, findings, Marks(missing, over, attached_at, unattached)),
        *funds.checks,
        *stated_checks(case, index, result),
    ]
    return result.model_copy(update={"checks": checks})


_context = tuple.__new__  # a RuleContext from a plain tuple, without the NamedTuple's Python-level __new__
