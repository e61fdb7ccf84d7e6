"""Case → result: leaf rules, subtotals, total, grade and every check. Pure: no I/O."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from typing import Any

from scoring.checks import Marks, stated_checks, structural_checks
from scoring.funds import compute_funds
from scoring.grades import grade_for
from scoring.models import Case, Finding
from scoring.numbers import HUNDRED, ZERO, fmt, quantize, quantum
from scoring.results import NodeResult, ScoreResult
from scoring.rules import REGISTRY, RuleContext
from scoring.rules.base import Audit, RuleFunction
from scoring.tree import TreeIndex
from scoring.weights import resolve_weights


#: Rules that may read each finding's 问题定性 or severity (``weighted``); the rest only count.
WEIGHING_RULES = frozenset({"per_finding", "composite"})


def score_case(case: Case) -> ScoreResult:
    """Score every leaf by its rule, sum subtotals and the total, grade it, and check it."""
    with collector_paused():
        return _score(case)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk build of objects that form no cycles.

    A 10,000-leaf case builds some 90,000 small objects (results, their field dicts, the audits'
    partials); with the collector on, each 700 of them start a scan, and every few scores a full one
    walks the whole heap (the case's own 200,000 objects included): more time than the scoring itself.
    Nothing built here refers back to itself, so reference counting frees it all. The collector is
    switched back on only if it was on (another thread may have paused it too).
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _score(case: Case) -> ScoreResult:
    decimals = case.rounding.decimals
    index = TreeIndex(case)
    located = index.nodes
    children_of = index.children
    weights = resolve_weights(case, located, children_of)
    funds = compute_funds(case.funds, decimals)
    findings, waived_by_leaf, unattached = index.finding_counts(case.findings)
    by_leaf: dict[str, list[Finding]] | None = None  # grouped only if some rule weighs findings by kind

    fund_values = funds.values
    size = len(located)
    exact: list[Decimal] = [ZERO] * size
    rounded: list[Decimal] = [ZERO] * size
    source = rounded if case.rounding.totals == "sum_of_rounded" else exact
    rows: list[Any] = [None] * size  # NodeResults, filled from the last
    appliers: dict[str, RuleFunction] = {}
    missing: list[str] = []
    over: list[int] = []
    attached_at: list[int] = []
    places = quantum(decimals)  # quantize() inlined below: the loop rounds 20,000 times
    # Reversed pre-order visits every child before its parent. The loop body runs 10,000 times on a large
    # case: positions instead of paths, counts by .get (a Counter's __missing__ is a Python call), and the
    # audits left as functions that write them when read (see RuleOutcome).
    for i in range(size - 1, -1, -1):
        path, node, level, parent, _ = located[i]
        weight = weights[path]
        if node.children:
            kids = children_of[i]
            value = sum([source[k] for k in kids], ZERO)
            rule_type, reason, counted = None, None, 0
        else:
            rule = node.rule
            assert rule is not None  # guaranteed by the model
            rule_type = rule.type
            listed = findings.get(path, 0)
            counted = listed
            waived = 0
            attached: Sequence[Finding] = ()
            if listed:
                attached_at.append(i)
                if waived_by_leaf:
                    waived = waived_by_leaf.get(path, 0)
                    counted -= waived
                if rule_type in WEIGHING_RULES and rule.weighted:
                    if by_leaf is None:
                        by_leaf = index.findings_by_leaf(case.findings)
                    attached = by_leaf.get(path, ())
            apply = appliers.get(rule_type)
            if apply is None:
                apply = appliers[rule_type] = REGISTRY[rule_type].apply
            outcome = apply(rule, _context(RuleContext, (weight, counted, fund_values, decimals, attached, waived)))
            value = outcome.score
            if outcome.missing_value:
                missing.append(path)
            audit: Audit = outcome.explain
            reason = outcome.reason
        exact[i] = value
        try:
            score = value.quantize(places, ROUND_HALF_UP)
            rate = (score / weight * HUNDRED).quantize(places, ROUND_HALF_UP) if weight else None
        except InvalidOperation:  # more digits than the context holds: quantize() widens it
            score = quantize(value, decimals)
            rate = quantize(score / weight * HUNDRED, decimals) if weight else None
        rounded[i] = score
        if rule_type is None:
            audit = partial(_sum_audit, [rows[k] for k in kids], score, decimals)
        if score > weight:
            over.append(i)
        rows[i] = NodeResult.built(
            {
                "path": path, "name": node.name, "level": level, "parent": parent, "is_leaf": not node.children,
                "weight": weight, "score": score, "rate": rate, "rule": rule_type, "reason": reason, "findings": counted,
            },
            audit,
        )
    for marked in (missing, over, attached_at):
        marked.reverse()  # pre-order, as the checks list them

    total = quantize(sum([source[i] for i, up in enumerate(index.parents) if up < 0], ZERO), decimals)  # the roots, in order
    grade = grade_for(total, case.full_score, case.grading)
    # Built without validating again what the engine computed (the nodes were built so too: NodeResult.built).
    result = ScoreResult.model_construct(
        project=case.project.name,
        full_score=case.full_score,
        total=total,
        rate=quantize(total / case.full_score * HUNDRED, decimals),
        grade=grade,
        nodes=rows,
        funds=funds.metrics,
        checks=[],
    )
    checks = [
        *structural_checks(case, index, weights, result, findings, Marks(missing, over, attached_at, unattached)),
        *funds.checks,
        *stated_checks(case, index, result),
    ]
    return result.model_copy(update={"checks": checks})


def _sum_audit(children: list[NodeResult], score: Decimal, decimals: int) -> str:
    """A parent's audit: its children's rounded scores added up (one child: its score carried up)."""
    text = fmt(score, decimals)
    if len(children) == 1:  # not an identity like 2.50 = 2.50
        return f"同“{children[0].name}”得分 {text}"
    return f"{' + '.join([fmt(child.score, decimals) for child in children])} = {text}"


_context = tuple.__new__  # a RuleContext from a plain tuple, without the NamedTuple's Python-level __new__
