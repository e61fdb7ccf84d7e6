"""Paths and look-ups over the indicator tree, shared by the engine, the checks and the loader."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from itertools import compress
from operator import attrgetter, itemgetter
from decimal import Decimal
from typing import NamedTuple

from scoring.funds import FUND_REFERENCE_KEYS
from scoring.models import PATH_SEPARATOR, Case, Finding, Indicator
from scoring.rules.base import FUND_REF_PREFIX, RuleParams


_FIELDS = attrgetter("__dict__")  # a pydantic model's field values, by name
_INDICATOR = itemgetter("indicator")
_ALSO = itemgetter("also_indicators")
_WAIVED = itemgetter("waived")
_CHILDREN = itemgetter("children")
_NAME = itemgetter("name")
_WEIGHT = itemgetter("weight")
_RULE = itemgetter("rule")


class Located(NamedTuple):
    path: str
    node: Indicator
    level: int
    parent: str | None
    loc: tuple[str | int, ...]


def walk(roots: list[Indicator]) -> Iterator[Located]:
    """Depth-first, parents before children, in document order."""
    return iter(Tree(roots).located)


class Tree:
    """The indicator tree as flat lists in pre-order (parents before children, in document order).

    Built once per score in one pass: a 10,000-leaf case is walked on every score, and a list per field
    costs far less than an object per node. Position ``i`` in every list is the same node.
    """

    __slots__ = ("paths", "nodes", "levels", "parents", "slots", "weights", "rules", "children", "leaves", "roots", "_located")

    def __init__(self, roots: list[Indicator]) -> None:
        self.paths: list[str] = []
        self.nodes: list[Indicator] = []
        self.levels: list[int] = []
        #: Position of each node's parent, -1 for a root.
        self.parents: list[int] = []
        #: Each node's index among its siblings (its place in the case file).
        self.slots: list[int] = []
        #: Each node's weight as the case gives it (None: a share of its parent's or its children's sum).
        self.weights: list[Decimal | None] = []
        #: Each leaf's rule (None for a parent).
        self.rules: list[RuleParams | None] = []
        #: Position of each parent → positions of its children, in document order.
        self.children: dict[int, list[int]] = {}
        #: Positions of the leaves, in pre-order.
        self.leaves: list[int] = []
        self._located: list[Located] | None = None
        #: Positions of the roots (一级指标), in order.
        self.roots: list[int] = self._visit(roots, "", -1, 1)

    def _visit(self, siblings: list[Indicator], prefix: str, parent: int, level: int) -> list[int]:
        start, count = len(self.paths), len(siblings)
        rows = list(map(_FIELDS, siblings))  # field values read from __dict__, as in finding_counts
        if not any(map(_CHILDREN, rows)):
            # Only leaves (most groups of a large tree): every list grows by one comprehension, not a loop.
            self.paths += [prefix + name for name in map(_NAME, rows)]
            self.nodes += siblings
            self.levels += [level] * count
            self.parents += [parent] * count
            self.slots += range(count)
            self.weights += map(_WEIGHT, rows)
            self.rules += map(_RULE, rows)
            kids = list(range(start, start + count))
            self.leaves += kids
            return kids
        kids = []
        for slot, node in enumerate(siblings):
            at = len(self.paths)
            path = prefix + node.name
            self.paths.append(path)
            self.nodes.append(node)
            self.levels.append(level)
            self.parents.append(parent)
            self.slots.append(slot)
            self.weights.append(node.weight)
            self.rules.append(node.rule)
            kids.append(at)
            if node.children:
                self.children[at] = self._visit(node.children, path + PATH_SEPARATOR, at, level + 1)
            else:
                self.leaves.append(at)
        return kids

    @property
    def located(self) -> list[Located]:
        """Every node with its path, level, parent path and place in the case file (built on first use)."""
        if self._located is None:
            out: list[Located] = []
            paths = self.paths
            for i, up in enumerate(self.parents):
                if up < 0:
                    loc: tuple[str | int, ...] = ("indicators", self.slots[i])
                    parent = None
                else:
                    loc = (*out[up].loc, "children", self.slots[i])
                    parent = paths[up]
                out.append(Located(paths[i], self.nodes[i], self.levels[i], parent, loc))
            self._located = out
        return self._located


class FindingCounts(NamedTuple):
    counted: Counter[str]  # leaf path → findings listed under it (waived ones included)
    waived: Counter[str]  # leaf path → waived findings among them
    unattached: int  # findings that name no indicator


class TreeIndex:
    """Resolve an indicator by full path or by a unique name (leaf names are what reports use)."""

    def __init__(self, case: Case) -> None:
        self.tree = Tree(case.indicators)
        #: Position in :attr:`nodes` of each node's parent, -1 for a root.
        self.parents: list[int] = self.tree.parents
        #: Position of each parent → positions of its children, in document order.
        self.children: dict[int, list[int]] = self.tree.children
        self._positions: dict[str, int] | None = None
        self._by_path: dict[str, Located] | None = None
        self._names: dict[str, list[Located]] | None = None  # built on the first look-up by name

    @property
    def nodes(self) -> list[Located]:
        """Every node in pre-order (built on first use)."""
        return self.tree.located

    @property
    def by_path(self) -> dict[str, Located]:
        if self._by_path is None:
            self._by_path = dict(zip(self.tree.paths, self.nodes))
        return self._by_path

    @property
    def positions(self) -> dict[str, int]:
        """Node path → its position in the pre-order lists."""
        if self._positions is None:
            self._positions = dict(zip(self.tree.paths, range(len(self.tree.paths))))
        return self._positions

    def position(self, key: str) -> int:
        """The position of the node named by ``key`` (a full path or a unique name); ``LookupError`` otherwise."""
        at = self.positions.get(key)
        return self.positions[self.resolve(key).path] if at is None else at

    @property
    def _by_name(self) -> dict[str, list[Located]]:
        if self._names is None:
            self._names = {}
            for item in self.nodes:
                self._names.setdefault(item.node.name, []).append(item)
        return self._names

    def finding_counts(self, findings: list[Finding]) -> "FindingCounts":
        """Findings counted under each leaf path (``also_indicators`` included), the waived ones among them,
        and how many findings name no indicator.

        Counting goes through C-level ``Counter``/``map``/``filter``: a case may list 50,000 findings.
        """
        # Each finding's fields are read from its __dict__ (one pydantic attribute read per finding, then plain
        # dict look-ups): a read through BaseModel costs 3-4 times one on a dict, and three passes read three fields.
        fields = list(map(_FIELDS, findings))
        keys: Counter[str | None] = Counter(map(_INDICATOR, fields))
        unattached = keys.pop(None, 0)
        for finding in compress(findings, map(_ALSO, fields)):  # the few counted under a second leaf
            keys.update(finding.also_indicators)
        waived: Counter[str | None] = Counter()
        for finding in compress(findings, map(_WAIVED, fields)):
            waived.update(finding.indicators)
        return FindingCounts(self._paths_of(keys), self._paths_of(waived), unattached)

    def _paths_of(self, keys: Counter[str | None]) -> Counter[str]:
        counts: Counter[str] = Counter()
        positions = self.positions
        for key, times in keys.items():
            if key is not None:
                counts[key if key in positions else self.resolve(key).path] += times
        return counts

    def findings_by_leaf(self, findings: Iterable[Finding]) -> dict[str, list[Finding]]:
        """The findings counted under each leaf path (``indicator`` and every ``also_indicators`` entry)."""
        by_key: defaultdict[str, list[Finding]] = defaultdict(list)
        for finding in findings:
            key = finding.indicator
            if key is None:
                continue
            by_key[key].append(finding)
            if finding.also_indicators:
                for also in finding.also_indicators:
                    by_key[also].append(finding)
        by_leaf: dict[str, list[Finding]] = {}
        for key, group in by_key.items():  # one look-up per distinct key: 50,000 findings name few leaves
            path = self.resolve(key).path
            if path in by_leaf:
                by_leaf[path] = by_leaf[path] + group
            else:
                by_leaf[path] = group
        return by_leaf

    def resolve(self, key: str) -> Located:
        """Return the node named by ``key``; raise ``LookupError`` with a Chinese message otherwise."""
        key = key.strip()
        found = self.by_path.get(key)
        if found is not None:
            return found
        matches = self._by_name.get(key, [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            paths = "、".join(item.path for item in matches)
            raise LookupError(f"指标名“{key}”不唯一，请写完整路径：{paths}")
        raise LookupError(f"找不到指标“{key}”")

    def reference_errors(self, case: Case) -> list[tuple[tuple[str | int, ...], str]]:
        """Leaves without a weight, and findings or stated entries that point to no indicator, with their locations."""
        errors: list[tuple[tuple[str | int, ...], str]] = []
        for item in self.nodes:
            parent = self.by_path[item.parent].node if item.parent is not None else None
            split = parent is not None and parent.split == "even"
            if item.node.weight is None and not item.node.children and not split:
                errors.append(((*item.loc, "weight"), f"末级指标“{item.path}”缺少分值（weight）"))
            rule = item.node.rule
            fields: list[tuple[str, object]] = list(rule) if rule is not None else []
            for name, value in fields:
                if isinstance(value, str) and value.startswith(FUND_REF_PREFIX):
                    if value.removeprefix(FUND_REF_PREFIX) not in FUND_REFERENCE_KEYS:
                        known = "、".join(FUND_REFERENCE_KEYS)
                        errors.append(((*item.loc, "rule", name), f"未知的资金引用 {value}（可用：funds. 加 {known}）"))
        for i, finding in enumerate(case.findings):
            if finding.waived is not None and not finding.waived.strip():
                errors.append((("findings", i, "waived"), "waived 须写明未扣分的理由"))
            if finding.indicator is None:
                if finding.also_indicators:
                    errors.append((("findings", i, "also_indicators"), "写了 also_indicators 时须先给出主要扣分指标 indicator"))
                continue
            try:
                located = self.resolve(finding.indicator)
            except LookupError as exc:
                errors.append((("findings", i, "indicator"), str(exc)))
                continue
            if located.node.children:
                errors.append((("findings", i, "indicator"), f"问题应挂在末级指标上，“{located.path}”不是末级指标"))
                continue
            seen = {located.path}
            for j, key in enumerate(finding.also_indicators):
                where = ("findings", i, "also_indicators", j)
                try:
                    also = self.resolve(key)
                except LookupError as exc:
                    errors.append((where, str(exc)))
                    continue
                if also.node.children:
                    errors.append((where, f"问题应挂在末级指标上，“{also.path}”不是末级指标"))
                elif also.path in seen:
                    errors.append((where, f"“{also.path}”已列过，同一问题在一个指标上只计一次"))
                seen.add(also.path)
        if case.stated is not None:
            for field in ("scores", "weights", "rates"):
                for key in getattr(case.stated, field):
                    try:
                        self.resolve(key)
                    except LookupError as exc:
                        errors.append((("stated", field, key), str(exc)))
            for i, group in enumerate(case.stated.groups):
                for j, key in enumerate(group.members):
                    try:
                        self.resolve(key)
                    except LookupError as exc:
                        errors.append((("stated", "groups", i, "members", j), str(exc)))
        return errors
