"""Every node's scored figures as flat lists, aligned with the tree; a node's result object is built when first read.

A 10,000-leaf score computes 10,000 leaves, but most callers read a few nodes or none (the total, the checks);
building a :class:`NodeResult` per node, and the collector's scans of them all, cost more than the rules.
A leaf's audit is written when read by applying its rule again to the same figures: rules are pure, so it
is the text the first application would have written, and scoring keeps no per-leaf audit object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial

from scoring.numbers import HUNDRED, fmt, quantize, quantum
from scoring.results import NodeResult
from scoring.rules import REGISTRY, RuleContext
from scoring.rules.base import Audit, FindingLike
from scoring.tree import Tree


class NodeTable:
    """The engine's output per position; :meth:`node` and :meth:`all` give the public :class:`NodeResult` objects."""

    __slots__ = ("tree", "weights", "scores", "reasons", "findings", "waived", "attached", "fund_figures", "decimals", "_built")

    def __init__(
        self,
        tree: Tree,
        weights: list[Decimal],
        scores: list[Decimal],
        reasons: list[str | None],
        findings: list[int],
        waived: list[int],
        attached: Mapping[int, Sequence[FindingLike]],
        fund_figures: Mapping[str, Decimal | None],
        decimals: int,
    ) -> None:
        self.tree = tree
        self.weights = weights
        self.scores = scores  # rounded, as the results show them
        self.reasons = reasons
        self.findings = findings  # counted (not waived) findings per leaf
        self.waived = waived
        self.attached = attached  # the findings a weighing rule read, by leaf position
        self.fund_figures = fund_figures
        self.decimals = decimals
        self._built: list[NodeResult | None] = [None] * len(scores)

    def __len__(self) -> int:
        return len(self.scores)

    def node(self, i: int) -> NodeResult:
        """The result of the node at position ``i`` (the same object on every read)."""
        built = self._built[i]
        if built is None:
            built = self._built[i] = self._build(i)
        return built

    def all(self) -> list[NodeResult]:
        """Every node's result, in pre-order."""
        node = self.node
        return [node(i) for i in range(len(self.scores))]

    def rate(self, i: int) -> Decimal | None:
        """得分率 (%) of the node at ``i``: its rounded score over its weight, rounded; None for a weight of 0."""
        score, weight, d = self.scores[i], self.weights[i], self.decimals
        if not weight:
            return None
        try:
            return (score / weight * HUNDRED).quantize(quantum(d), ROUND_HALF_UP)
        except InvalidOperation:  # more digits than the context holds: quantize() widens it
            return quantize(score / weight * HUNDRED, d)

    def _build(self, i: int) -> NodeResult:
        tree = self.tree
        up = tree.parents[i]
        rule = tree.rules[i]
        audit: Audit = partial(self._sum_audit, i) if rule is None else partial(self._rule_audit, i)
        return NodeResult.built(
            {
                "path": tree.paths[i], "name": tree.nodes[i].name, "level": tree.levels[i],
                "parent": tree.paths[up] if up >= 0 else None, "is_leaf": rule is not None,
                "weight": self.weights[i], "score": self.scores[i], "rate": self.rate(i),
                "rule": None if rule is None else rule.type, "reason": self.reasons[i], "findings": self.findings[i],
            },
            audit,
        )

    def context(self, i: int) -> RuleContext:
        """What the leaf at ``i`` was scored with."""
        return RuleContext(
            self.weights[i], self.findings[i], self.fund_figures, self.decimals, self.attached.get(i, ()), self.waived[i]
        )

    def _rule_audit(self, i: int) -> str:
        rule = self.tree.rules[i]
        assert rule is not None
        return REGISTRY[rule.type].apply(rule, self.context(i)).audit

    def _sum_audit(self, i: int) -> str:
        """A parent's audit: its children's rounded scores added up (one child: its score carried up)."""
        d = self.decimals
        kids = self.tree.children[i]
        text = fmt(self.scores[i], d)
        if len(kids) == 1:  # not an identity like 2.50 = 2.50
            return f"同“{self.tree.nodes[kids[0]].name}”得分 {text}"
        return f"{' + '.join([fmt(self.scores[k], d) for k in kids])} = {text}"
