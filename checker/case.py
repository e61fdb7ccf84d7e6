"""A scoring case built from what a report states: its indicator tree, each leaf with the rule the report states.

Each leaf's rule is read from the report's own wording (:func:`scoring.ruletext.read_rule`
on the 评价标准 cell; for target tables such as 003, the category rules of its 填表说明
and the 目标值 / 实际完成值 cells). Where the wording states no rule, or the value it
needs is not in the report, or the 评价说明 states a deduction the rule does not give,
the leaf is a ``judgment`` (分值 − 得分) with the text kept. ``stated`` keeps the
report's own figures, leaves included, so ``jixiao score`` lists every difference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from checker.rules import find_target_rules, target_value
from checker.tree import Node, Tree
from scoring.funds import compute_funds
from scoring.models import Band, Case, Funds, Grading, Indicator, Project, Stated
from scoring.numbers import quantize
from scoring.numparse import find_numbers
from scoring.rules import REGISTRY, RuleContext
from scoring.ruletext import FUND_RATES, count_unit, read_rule, stated_count, stated_percent

if TYPE_CHECKING:
    from checker.document import ReportDoc

_LEVEL_WORDS = ("好", "较好", "一般", "较差", "差")


class CaseBuildError(ValueError):
    """The report's tree cannot be turned into a valid case (the reason is in Chinese)."""


@dataclass
class RuleSources:
    """Rules the report states outside the leaf rows (003's 填表说明), and a tally of where each leaf's rule came from."""

    categories: dict[str, dict[str, Any]] = field(default_factory=dict)
    levels: dict[str, Any] | None = None
    read: list[str] = field(default_factory=list)
    """Leaf paths whose rule was read from the report's text."""
    kept: list[str] = field(default_factory=list)
    """Leaf paths left as judgment."""


def report_rule_sources(doc: ReportDoc) -> RuleSources:
    """The category target rules and the levels rule a report states in its text."""
    from checker.statements import sentences, texts

    sources = RuleSources(categories={rule.category: rule.spec for rule in find_target_rules(doc)})
    for item in texts(doc):
        if "较好" not in item.text:
            continue
        for _, sentence in sentences(item.text):
            found = read_rule(sentence)
            if found.family == "levels":
                sources.levels = {key: value for key, value in found.spec.items() if key != "text"}
                return sources
    return sources


def _name(node: Node) -> str:
    return node.name.replace("/", "／")


def _explicit_deduction(note: str) -> Decimal | None:
    match = re.search(r"扣\s*([0-9]+(?:\.[0-9]+)?)\s*分", note)
    return Decimal(match.group(1)) if match else None


def _score_of(spec: dict[str, Any], weight: Decimal, funds: dict[str, Decimal | None]) -> Decimal | None:
    try:
        params = REGISTRY[spec["type"]].params.model_validate(spec)
        outcome = REGISTRY[spec["type"]].apply(params, RuleContext(weight=weight, fund_figures=funds))
    except (ValidationError, KeyError, ValueError):
        return None
    return None if outcome.missing_value else quantize(outcome.score)


def _category_rule(node: Node, sources: RuleSources, tree: Tree) -> dict[str, Any] | None:
    """003's target tables: the rule of the leaf's category applied to its 目标值 / 实际完成值 cells."""
    row = node.row
    if row is None or not (row.target or row.actual):
        return None
    if sources.levels is not None and (row.actual or "").strip() in _LEVEL_WORDS:
        return {**sources.levels, "level": row.actual.strip(), "text": f"定性指标：目标 {row.target}，实际 {row.actual}"}  # type: ignore[union-attr]
    root = node
    while root.parent is not None:
        root = root.parent
    spec = next((rule for category, rule in sources.categories.items() if tree.root(category) is root), None)
    if spec is None:
        return None
    text = f"目标 {row.target}，实际 {row.actual}（按报告“{root.name}”类评分规则）"
    actual = target_value(row.actual)
    if actual is None:
        return None
    if row.target and re.search(r"以下|以内|不高于|不超过|≤", row.target):
        limits = [n.value for n in find_numbers(row.target) if n.role == "quantity"]
        if len(limits) != 1:
            return None
        # An upper-limit target: exceeding it is the shortfall, costed as the category costs a shortfall.
        return {"type": "upper_bound", "limit": limits[0], "actual": actual, "per": spec["below_penalty"],
                "per_unit": "weight_percent", "label": node.name, "text": text}
    target = target_value(row.target)
    if target is None or target <= 0:
        return None
    return {**spec, "target": target, "actual": actual, "text": text}


def _text_rule(node: Node, weight: Decimal, funds: dict[str, Decimal | None]) -> dict[str, Any] | None:
    """The rule of the leaf's 评价标准 cell, with the values it needs taken from the 评价说明."""
    row = node.row
    if row is None or not row.criteria:
        return None
    found = read_rule(row.criteria)
    if not found.understood:
        return None
    spec = dict(found.spec)
    note = row.note or ""
    if found.family == "ratio":
        stated = stated_percent(note, spec.get("label", ""))
        if stated is not None:
            spec["rate"] = stated
        elif "rate" not in spec or spec.get("label") not in FUND_RATES:
            return None
    elif found.family == "per_finding":
        deduction = weight - (node.score if node.score is not None else weight)
        counted = stated_count(note, count_unit(row.criteria))
        if counted is not None:
            spec["count"] = counted[0]
        elif deduction >= 0 and (deduction / spec["per"]) == (deduction / spec["per"]).to_integral_value():
            spec["count"] = int(deduction / spec["per"])  # no count written: the cases the stated deduction implies
        else:
            return None
    elif found.needs:
        return None  # a tier, a date or a target the report gives nowhere near the rule
    return spec


def _indicator(node: Node, sources: RuleSources, tree: Tree, funds: dict[str, Decimal | None]) -> Indicator:
    if node.children:
        names = [_name(child) for child in node.children]
        if len(set(names)) != len(names):
            raise CaseBuildError(f"指标“{node.path}”下有同名子指标")
        return Indicator(name=_name(node), weight=node.weight, children=[_indicator(child, sources, tree, funds) for child in node.children])
    if node.weight is None:
        raise CaseBuildError(f"末级指标“{node.path}”缺少分值")
    score = node.score if node.score is not None else node.weight
    deduction = max(node.weight - score, Decimal(0))
    note = (node.row.note if node.row is not None else "") or ""
    criteria = (node.row.criteria or None) if node.row else None
    spec = _category_rule(node, sources, tree) or _text_rule(node, node.weight, funds)
    if spec is not None and node.score is not None:
        computed = _score_of(spec, node.weight, funds)
        stated_deduction = _explicit_deduction(note)
        # The 评价说明 states its own deduction (扣 X 分) that the stated rule does not give: the evaluator's word stands.
        if computed is None or (computed != quantize(score) and stated_deduction is not None and stated_deduction == deduction):
            spec = None
    if spec is not None:
        sources.read.append(node.path)
        return Indicator(name=_name(node), weight=node.weight, rule=spec, note=criteria)
    sources.kept.append(node.path)
    reason = None
    if deduction:
        reason = note.strip() or f"报告所写得分 {score}"
    rule: dict[str, Any] = {"type": "judgment", "deduction": deduction, **({"reason": reason} if reason else {})}
    return Indicator(name=_name(node), weight=node.weight, rule=rule, note=criteria)


def build_case(
    tree: Tree,
    title: str,
    *,
    year: int | None = None,
    region: str | None = None,
    full_score: Decimal | None = None,
    bands: list[tuple[str, Decimal]] | None = None,
    funds: dict[str, Decimal] | None = None,
    stated_total: Decimal | None = None,
    stated_grade: str | None = None,
    stated_full_score: Decimal | None = None,
    doc: ReportDoc | None = None,
    sources: RuleSources | None = None,
) -> Case:
    """The case for ``tree``; raise :class:`CaseBuildError` when the report gives no usable tree.

    With ``doc``, rules the report states in its text (003's 填表说明) apply too;
    ``sources`` (filled in place) says which leaves' rules came from the report.
    """
    if not tree.roots:
        raise CaseBuildError("报告中没有找到评分表（一级/二级/三级指标及分值），无法生成案例文件")
    if sources is None:
        sources = report_rule_sources(doc) if doc is not None else RuleSources()
    known = {key: value for key, value in (funds or {}).items() if key in ("budget", "received", "spent")}
    figures = _fund_figures(Funds.model_validate(known))
    indicators = [_indicator(root, sources, tree, figures) for root in tree.roots]
    names = [indicator.name for indicator in indicators]
    if len(set(names)) != len(names):
        raise CaseBuildError("一级指标重名")
    weights = [root.weight if root.weight is not None else sum((leaf.weight or Decimal(0) for leaf in root.leaves()), Decimal(0)) for root in tree.roots]
    full = full_score if full_score is not None else sum(weights, Decimal(0))
    grading = Grading(bands=[Band(name=name, min=low) for name, low in bands]) if bands else Grading()
    ruled = {path for path in sources.read}
    scores = {_path(node): node.score for node in tree.walk() if node.score is not None and (node.children or node.path in ruled)}
    stated = Stated(
        source="报告原文",
        total=stated_total,
        grade=stated_grade if stated_grade in {band.name for band in grading.bands} else None,
        full_score=stated_full_score,
        scores={key: value for key, value in scores.items() if value is not None},
        places={_path(node): f"报告第{node.scores[0].place.line}行" for node in tree.walk() if _path(node) in scores and node.scores},
    )
    return Case(
        project=Project(name=title or "未命名项目", year=year, region=region),
        full_score=full if full > 0 else Decimal(100),
        grading=grading,
        funds=Funds.model_validate(known),
        indicators=indicators,
        stated=stated,
    )


SCAFFOLD_SOURCE = "报告原文（报告无评分表，指标体系为全国共性指标体系框架）"


def build_scaffold(
    title: str,
    *,
    year: int | None = None,
    region: str | None = None,
    bands: list[tuple[str, Decimal]] | None = None,
    funds: dict[str, Decimal] | None = None,
    stated_total: Decimal | None = None,
    stated_grade: str | None = None,
    stated_full_score: Decimal | None = None,
) -> Case:
    """A case for a report without a scoring table: the national common framework, the report's figures as ``stated``."""
    from scoring.framework import framework_indicators

    grading = Grading(bands=[Band(name=name, min=low) for name, low in bands]) if bands else Grading()
    known = {key: value for key, value in (funds or {}).items() if key in ("budget", "received", "spent")}
    stated = Stated(
        source=SCAFFOLD_SOURCE,
        placeholder_tree=True,
        total=stated_total,
        grade=stated_grade if stated_grade in {band.name for band in grading.bands} else None,
        full_score=stated_full_score,
        funds=known,
    )
    return Case(
        project=Project(name=title or "未命名项目", year=year, region=region),
        full_score=Decimal(100),
        grading=grading,
        funds=Funds.model_validate(known),
        indicators=framework_indicators(),
        stated=stated,
    )


def is_scaffold(case: Case) -> bool:
    """True for a case built by :func:`build_scaffold`."""
    return case.stated is not None and case.stated.placeholder_tree


def _path(node: Node) -> str:
    names = []
    current: Node | None = node
    while current is not None:
        names.append(_name(current))
        current = current.parent
    return "/".join(reversed(names))


def _fund_figures(funds: Funds) -> dict[str, Decimal | None]:
    return compute_funds(funds, 2).values
