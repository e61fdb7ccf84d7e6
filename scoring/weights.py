"""Resolve every node's weight: given per node, or split evenly with the remainder on the last child."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import cast

from scoring.models import Case
from scoring.numbers import ZERO, quantize
from scoring.tree import Tree


def even_split(total: Decimal, count: int, decimals: int = 2) -> list[Decimal]:
    """各项指标分值 = 该类总分值 / 指标个数, rounded; the last child takes the remainder.

    ``even_split(Decimal(24), 11)`` gives ten times 2.18 and a last 2.20, so the
    category still sums exactly (003's 产出).
    """
    if count <= 0:
        return []
    share = quantize(total / count, decimals)
    if total > 0 and share * (count - 1) >= total:
        # Rounding the share up left nothing, or less, for the last child (6 / 4 at 0 decimals gave
        # 2 + 2 + 2 + 0; 0.3 / 20 at 2 decimals a last share of −0.08). Round the share down instead.
        share = (total / count).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_DOWN)
    return [share] * (count - 1) + [total - share * (count - 1)]


def resolve_weights(case: Case, tree: Tree | None = None) -> dict[str, Decimal]:
    """Map every node path to its weight. Parents without a weight get the sum of their children."""
    if tree is None:
        tree = Tree(case.indicators)
    return dict(zip(tree.paths, weights_at(case, tree)))


def weights_at(case: Case, tree: Tree) -> list[Decimal]:
    """Every node's weight by its position in ``tree``: given, a share of its parent's ``split: even``, or its children's sum."""
    decimals = case.rounding.decimals
    nodes, children = tree.nodes, tree.children
    weights = list(tree.weights)
    for position, kids in sorted(children.items()):  # pre-order: a parent's share is known before it splits
        node = nodes[position]
        if node.split == "even":
            weight = weights[position]
            assert weight is not None  # the model requires it with split: even
            for kid, share in zip(kids, even_split(weight, len(kids), decimals)):
                weights[kid] = share  # a share of an even split stands: the model forbids a child's own weight
    # Deepest first (reversed pre-order), so that every child has its weight before its parent adds it.
    for position in range(len(weights) - 1, -1, -1):
        if weights[position] is None:
            weights[position] = sum([weights[k] for k in children.get(position, ())], ZERO)  # type: ignore[type-var]  # children come first
    return cast(list[Decimal], weights)  # every None was filled
