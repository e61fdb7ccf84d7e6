"""The analysis stage: everything the report checks read, computed once, in one explicit order.

:func:`analyse` reads a :class:`~checker.document.ReportDoc` into a frozen
:class:`ReportFacts`: the scoring tables, the indicator tree with the figures
the text states attached to its nodes, the stated totals, grades and bands,
the fund and count mentions, the case built for the scoring engine and the
sums recomputed through it. The checks of :mod:`checker.checks` only read it;
none of them changes it, so they can run in any order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from checker.amounts import Amount, find_amounts
from checker.case import CaseBuildError, build_case
from checker.document import ReportDoc
from checker.findings import Place
from checker.fundtables import FundTable, read_fund_tables
from checker.statements import (
    CategoryStatement,
    Formula,
    GradeStatement,
    ItemStatement,
    Mention,
    find_bands,
    find_categories,
    find_formulas,
    find_full_scores,
    find_grades,
    find_items,
    find_mentions,
    find_totals,
)
from checker.tables import ScoringTable, read_scoring_tables
from checker.tree import Node, Tree, Value, build_tree, level1_key, same_name
from scoring import score_case
from scoring.grades import grade_for
from scoring.models import Band, Case, Grading

ZERO = Decimal(0)
DEFAULT_FULL_SCORE = Decimal(100)

#: id(node) → (sum of the children's weights, sum of their scores); ``None`` where a child lacks one.
Sums = Mapping[int, tuple[Decimal | None, Decimal | None]]


@dataclass(frozen=True)
class ReportFacts:
    """What a report states and what its own figures recompute to; read-only input of every report check."""

    doc: ReportDoc
    tables: tuple[ScoringTable, ...]
    tree: Tree
    categories: tuple[CategoryStatement, ...]
    items: tuple[tuple[ItemStatement, Node], ...]  # a 扣分/得分 sentence and the leaf it is about
    text_totals: tuple[Value, ...]  # 总得分 stated in the text
    text_full: tuple[Value, ...]  # 满分 stated in the text
    fund_mentions: tuple[Mention, ...]
    count_mentions: tuple[Mention, ...]
    funds: Mapping[str, Decimal]  # the first figure of each project fund key (budget, received, spent…)
    bands: tuple[tuple[str, Decimal], ...]
    band_place: Place | None
    grading: Grading
    case: Case | None  # the tree as an engine case, when it makes one
    sums: Sums
    recomputed_total: Decimal | None
    full: Decimal | None  # the sum of the level-1 weights
    full_score: Decimal  # ``full``, else the stated full score, else 100
    grades: tuple[GradeStatement, ...]
    stated_grade: str | None
    stated_total: Decimal | None
    recomputed_grade: str | None
    formulas: tuple[Formula, ...]
    fund_tables: tuple[FundTable, ...]  # column-wise fund tables (序号 / 项目 / 到位 / 支付 / 结余…)
    amounts: tuple[Amount, ...]  # contract / payment / allocation / sub-project amounts

    def weight_of(self, node: Node) -> Decimal | None:
        """The weight the report gives ``node``, else the sum of its children's."""
        return weight_of(node, self.sums)

    def score_of(self, node: Node) -> Decimal | None:
        """The score the report gives ``node``, else the sum of its children's."""
        return score_of(node, self.sums)

    def root_for(self, section: list[str]) -> Node | None:
        """The level-1 indicator a section heading path is about."""
        return root_for(self.tree, section)


def weight_of(node: Node, sums: Sums) -> Decimal | None:
    return node.weight if node.weight is not None else sums.get(id(node), (None, None))[0]


def score_of(node: Node, sums: Sums) -> Decimal | None:
    return node.score if node.score is not None else sums.get(id(node), (None, None))[1]


def root_for(tree: Tree, section: list[str]) -> Node | None:
    for title in reversed(section):
        key = re.sub(r"^[（(]?[一二三四五六七八九十\d]+[）)、.．]?", "", title)
        for root in tree.roots:
            if level1_key(root.name) and level1_key(root.name) in key:
                return root
    return None


def match_leaf(tree: Tree, title: str, section: list[str]) -> Node | None:
    """The one leaf a sentence titled ``title`` in ``section`` is about, if exactly one matches."""
    root = root_for(tree, section)
    leaves = root.leaves() if root else tree.leaves()
    tests = (
        lambda leaf: leaf.name == title,
        lambda leaf: leaf.name in title or title in leaf.name,
        lambda leaf: leaf.parent is not None and leaf.parent.parent is not None and len(leaf.parent.children) == 1 and leaf.parent.name in title,
    )
    for test in tests:
        found = [leaf for leaf in leaves if test(leaf)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            return None
    return None


def _sum(values: list[Decimal | None]) -> Decimal | None:
    known = [value for value in values if value is not None]
    return sum(known, ZERO) if len(known) == len(values) else None


def case_path(node: Node) -> str:
    """``node``'s path as the engine names it (``/`` inside a name becomes ``／``)."""
    names = []
    current: Node | None = node
    while current is not None:
        names.append(current.name.replace("/", "／"))
        current = current.parent
    return "/".join(reversed(names))


# ── the stages, in order ─────────────────────────────────────────────────────


def _attach_categories(tree: Tree, categories: list[CategoryStatement]) -> None:
    """Attach a category paragraph's 分值/得分 (and its parts') to the level-1 node it is about."""
    for statement in categories:
        root = root_for(tree, statement.section)
        if root is None:
            continue
        if statement.weight is not None:
            root.weights.append(Value(statement.weight, statement.place, "text"))
        if statement.score is not None:
            root.scores.append(Value(statement.score, statement.place, "text"))
        for name, weight, score, place in statement.parts:
            child = next((c for c in root.children if same_name(c.name, name, c.level)), None)
            if child is not None:
                if weight is not None:
                    child.weights.append(Value(weight, place, "text"))
                if score is not None:
                    child.scores.append(Value(score, place, "text"))


def _attach_items(doc: ReportDoc, tree: Tree) -> list[tuple[ItemStatement, Node]]:
    """Match each 扣分/得分 sentence to its leaf; give a leaf without a table score the sentence's."""
    items: list[tuple[ItemStatement, Node]] = []
    for item in find_items(doc):
        leaf = match_leaf(tree, item.title, item.section)
        if leaf is None:
            continue
        items.append((item, leaf))
        if not leaf.scores and leaf.weight is not None:
            score = item.score
            if score is None and item.deduction is not None:
                score = leaf.weight - item.deduction
            if score is None and item.full:
                score = leaf.weight
            if score is not None:
                leaf.scores.append(Value(score, item.place, "text"))
    return items


def _recompute(tree: Tree, case: Case | None) -> tuple[dict[int, tuple[Decimal | None, Decimal | None]], Decimal | None]:
    """Children sums per node and the total; through the engine when the tree makes a case."""
    sums: dict[int, tuple[Decimal | None, Decimal | None]] = {}
    for node in reversed(list(tree.walk())):
        if not node.children:
            continue
        sums[id(node)] = (
            _sum([weight_of(child, sums) for child in node.children]),
            _sum([score_of(child, sums) for child in node.children]),
        )
    root_scores = [score_of(root, sums) for root in tree.roots]
    total = _sum(root_scores) if root_scores else None
    if case is not None and total is not None:
        result = score_case(case)
        total = result.total  # the engine's sum of the (rounded) leaves
        by_path = {node.path: node for node in result.nodes}
        for node in tree.walk():
            engine = by_path.get(case_path(node))
            if node.children and engine is not None and sums[id(node)][1] is not None:
                sums[id(node)] = (sums[id(node)][0], engine.score)
    return sums, total


def analyse(doc: ReportDoc) -> ReportFacts:
    """Read everything the checks need from ``doc``, in the order each stage depends on the last."""
    tables = read_scoring_tables(doc)
    tree = build_tree(tables)
    # 1. the text's figures attached to the tree (before any sum is taken)
    categories = find_categories(doc)
    _attach_categories(tree, categories)
    items = _attach_items(doc, tree)
    text_totals = tuple(Value(t.value, t.place, "text") for t in find_totals(doc))
    text_full = tuple(Value(t.value, t.place, "text") for t in find_full_scores(doc))
    # 2. fund and count mentions; the project's funds are the first figure of each key
    fund_mentions, count_mentions = find_mentions(doc)
    funds: dict[str, Decimal] = {}
    for mention in fund_mentions:
        funds.setdefault(mention.key, mention.value)
    # 3. the grading bands and the engine case
    bands, band_place = find_bands(doc)
    try:
        case: Case | None = build_case(tree, doc.title, year=doc.doc.meta.year, region=doc.doc.meta.region, bands=bands, funds=funds)
    except (CaseBuildError, ValueError):
        case = None
    # 4. the sums and the recomputed total
    sums, recomputed_total = _recompute(tree, case)
    weights = [weight_of(root, sums) for root in tree.roots]
    full = _sum(weights) if weights else None
    # 5. grades: stated, by the stated total, by the recomputed total
    grades = find_grades(doc)
    grading = Grading(bands=[Band(name=n, min=v) for n, v in bands]) if bands else Grading()
    full_score = full or (tree.full_scores[0].value if tree.full_scores else None) or DEFAULT_FULL_SCORE
    totals = [*text_totals, *tree.totals]
    fund_tables = tuple(read_fund_tables(doc))
    recomputed_grade = grade_for(recomputed_total, full_score, grading) if recomputed_total is not None else None
    return ReportFacts(
        doc=doc,
        tables=tuple(tables),
        tree=tree,
        categories=tuple(categories),
        items=tuple(items),
        text_totals=text_totals,
        text_full=text_full,
        fund_mentions=tuple(fund_mentions),
        count_mentions=tuple(count_mentions),
        funds=MappingProxyType(funds),
        bands=tuple(bands),
        band_place=band_place,
        grading=grading,
        case=case,
        sums=MappingProxyType(sums),
        recomputed_total=recomputed_total,
        full=full,
        full_score=full_score,
        grades=tuple(grades),
        stated_grade=grades[0].name if grades else None,
        stated_total=totals[0].value if totals else None,
        recomputed_grade=recomputed_grade,
        formulas=tuple(find_formulas(doc)),
        fund_tables=fund_tables,
        amounts=tuple(find_amounts(doc, fund_tables)),
    )
