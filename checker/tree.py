"""The indicator tree a report states, assembled from its scoring tables and sentences.

The table with the most leaves is the base; every other statement of an
indicator (a summary table, a per-section table, a 小计 row, a sentence) is
attached to the same node, so that differences between them can be reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from checker.findings import Place
from checker.tables import Row, ScoringTable, Summary

_LEVEL1_AFFIXES = re.compile(r"^(?:项目)|(?:指标|目标|情况|类)$")


@dataclass
class Value:
    value: Decimal
    place: Place
    source: str  # "table" | "summary" | "text"


@dataclass
class Node:
    name: str
    level: int
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    weights: list[Value] = field(default_factory=list)
    scores: list[Value] = field(default_factory=list)
    rates: list[Value] = field(default_factory=list)
    row: Row | None = None

    @property
    def path(self) -> str:
        return self.name if self.parent is None else f"{self.parent.path}/{self.name}"

    @property
    def weight(self) -> Decimal | None:
        return self.weights[0].value if self.weights else None

    @property
    def score(self) -> Decimal | None:
        return self.scores[0].value if self.scores else None

    def child(self, name: str) -> Node | None:
        return next((node for node in self.children if same_name(node.name, name, node.level)), None)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()

    def leaves(self) -> list[Node]:
        return [node for node in self.walk() if not node.children]


def level1_key(name: str) -> str:
    key = name
    for _ in range(2):
        key = _LEVEL1_AFFIXES.sub("", key) or key
    return key


def same_name(a: str, b: str, level: int) -> bool:
    return a == b or (level == 1 and level1_key(a) == level1_key(b))


@dataclass
class Tree:
    roots: list[Node] = field(default_factory=list)
    totals: list[Value] = field(default_factory=list)  # stated total score
    full_scores: list[Value] = field(default_factory=list)  # stated full score (合计 row 分值, 总分100分, (80分))
    total_rates: list[Value] = field(default_factory=list)

    def walk(self) -> Iterator[Node]:
        for root in self.roots:
            yield from root.walk()

    def leaves(self) -> list[Node]:
        return [node for node in self.walk() if not node.children]

    def root(self, name: str) -> Node | None:
        return next((node for node in self.roots if same_name(node.name, name, 1)), None)

    def find(self, names: tuple[str, ...], top_level: int = 1) -> Node | None:
        """The node at ``names`` (a full path when ``top_level`` is 1, else a path below some level-1 node)."""
        if top_level == 1:
            node = self.root(names[0]) if names else None
            for name in names[1:]:
                node = node.child(name) if node else None
            return node
        found = [node for node in self.walk() if node.level == top_level + len(names) - 1 and _ends_with(node, names)]
        return found[0] if len(found) == 1 else None


def _ends_with(node: Node, names: tuple[str, ...]) -> bool:
    current: Node | None = node
    for name in reversed(names):
        if current is None or current.name != name:
            return False
        current = current.parent
    return True


def _ensure(tree: Tree, names: tuple[str, ...], top_level: int) -> Node:
    node = tree.root(names[0])
    if node is None:
        node = Node(names[0], top_level)
        tree.roots.append(node)
    for name in names[1:]:
        child = node.child(name)
        if child is None:
            child = Node(name, node.level + 1, node)
            node.children.append(child)
        node = child
    return node


def _add(values: list[Value], value: Decimal | None, place: Place, source: str) -> None:
    if value is not None:
        values.append(Value(value, place, source))


def build_tree(tables: list[ScoringTable]) -> Tree:
    """Assemble the tree: the table with the most leaves first, then every other table onto it."""
    tree = Tree()
    if not tables:
        return tree
    base = max(tables, key=lambda table: (len(table.leaf_rows), -table.top_level))
    for row in base.rows:
        node = _ensure(tree, row.path, base.top_level)
        _fill(node, row, "table")
    _summaries(tree, base, base.top_level, "table")
    for table in tables:
        if table is base:
            continue
        matched: list[Node] = []
        for row in table.rows:
            found = tree.find(row.path, table.top_level)
            if found is None:
                continue
            matched.append(found)
            _fill(found, row, "summary")
        _summaries(tree, table, table.top_level, "summary", matched)
    return tree


def _fill(node: Node, row: Row, source: str) -> None:
    if node.row is None and row.weight is not None:
        node.row = row
    _add(node.weights, row.weight, row.place, source)
    _add(node.scores, row.score, row.place, source)
    _add(node.rates, row.rate, row.place, source)
    ancestor: Node | None = node
    while ancestor is not None:
        if ancestor is not node and ancestor.level in row.level_weights and not any(value.place == row.place for value in ancestor.weights):
            _add(ancestor.weights, row.level_weights[ancestor.level], row.place, source)
        ancestor = ancestor.parent
    if node.level in row.level_weights and row.weight is None:
        _add(node.weights, row.level_weights[node.level], row.place, source)


def _summaries(tree: Tree, table: ScoringTable, top_level: int, source: str, matched: list[Node] | None = None) -> None:
    for summary in table.subtotals:
        node = tree.root(summary.parent[0]) if summary.parent else None
        if node is not None:
            _summary_into(node.weights, node.scores, node.rates, summary, source)
    if table.root_weight is not None and table.root_place is not None:
        tree.full_scores.append(Value(table.root_weight, table.root_place, source))
    for summary in table.totals:
        if top_level == 1:
            _summary_into(tree.full_scores, tree.totals, tree.total_rates, summary, source)
            continue
        roots = {id(_root_of(node)): _root_of(node) for node in matched or []}
        if len(roots) == 1:
            node = next(iter(roots.values()))
            _summary_into(node.weights, node.scores, node.rates, summary, source)


def _summary_into(weights: list[Value], scores: list[Value], rates: list[Value], summary: Summary, source: str) -> None:
    _add(weights, summary.weight, summary.place, source)
    _add(scores, summary.score, summary.place, source)
    _add(rates, summary.rate, summary.place, source)


def _root_of(node: Node) -> Node:
    while node.parent is not None:
        node = node.parent
    return node
