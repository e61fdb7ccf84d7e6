"""Resolve every node's weight: given per node, or split evenly with the remainder on the last child."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from scoring.models import PATH_SEPARATOR, Case, Indicator
from scoring.numbers import quantize
from scoring.tree import Located, walk


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


def resolve_weights(
    case: Case, located: list[Located] | None = None, children: dict[int, list[int]] | None = None
) -> dict[str, Decimal]:
    """Map every node path to its weight. Parents without a weight get the sum of their children.

    ``located`` is the tree walk and ``children`` its parents' children by position, when the caller already
    has them (see :class:`scoring.tree.TreeIndex`).
    """
    decimals = case.rounding.decimals
    assigned: dict[str, Decimal] = {}
    unweighted: list[int] = []  # positions with neither a weight nor a share of the parent's: their children's sum
    if located is None:
        located = list(walk(case.indicators))
    for position, item in enumerate(located):
        path, node = item.path, item.node
        if path not in assigned:  # a share of an even split, given when the parent came by, stands
            if node.weight is not None:
                assigned[path] = node.weight
            else:
                unweighted.append(position)
        if node.split == "even" and node.children:
            shares = even_split(assigned[path], len(node.children), decimals)
            for child, share in zip(node.children, shares):
                assigned[f"{path}{PATH_SEPARATOR}{child.name}"] = share
    # Deepest first (reversed pre-order), so that every child has its weight before its parent adds it.
    for position in reversed(unweighted):
        item = located[position]
        if children is None:
            assigned[item.path] = _children_sum(item.node, item.path, assigned)
        else:
            assigned[item.path] = sum([assigned[located[k].path] for k in children.get(position, ())], Decimal(0))
    return assigned


def _children_sum(node: Indicator, path: str, assigned: dict[str, Decimal]) -> Decimal:
    return sum((assigned[f"{path}{PATH_SEPARATOR}{child.name}"] for child in node.children), Decimal(0))
