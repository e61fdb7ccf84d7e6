"""A scoring case built from what a report states: its indicator tree with judgment rules (分值 − 得分).

The evaluator completes it (replacing judgment rules by ratio, per-finding or
target rules where the report's criteria say so) and scores it with
``jixiao score``; ``stated`` keeps the report's own figures so every later
difference is listed.
"""

from __future__ import annotations

from decimal import Decimal

from checker.tree import Node, Tree
from scoring.models import Band, Case, Funds, Grading, Indicator, Project, Stated


class CaseBuildError(ValueError):
    """The report's tree cannot be turned into a valid case (the reason is in Chinese)."""


def _name(node: Node) -> str:
    return node.name.replace("/", "／")


def _indicator(node: Node) -> Indicator:
    if node.children:
        names = [_name(child) for child in node.children]
        if len(set(names)) != len(names):
            raise CaseBuildError(f"指标“{node.path}”下有同名子指标")
        return Indicator(name=_name(node), weight=node.weight, children=[_indicator(child) for child in node.children])
    if node.weight is None:
        raise CaseBuildError(f"末级指标“{node.path}”缺少分值")
    score = node.score if node.score is not None else node.weight
    deduction = max(node.weight - score, Decimal(0))
    reason = None
    if deduction:
        note = (node.row.note if node.row is not None else "") or ""
        reason = note.strip() or f"报告所写得分 {score}"
    rule = {"type": "judgment", "deduction": deduction, **({"reason": reason} if reason else {})}
    return Indicator(name=_name(node), weight=node.weight, rule=rule, note=(node.row.criteria or None) if node.row else None)


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
) -> Case:
    """The case for ``tree``; raise :class:`CaseBuildError` when the report gives no usable tree."""
    if not tree.roots:
        raise CaseBuildError("报告中没有找到评分表（一级/二级/三级指标及分值），无法生成案例文件")
    indicators = [_indicator(root) for root in tree.roots]
    names = [indicator.name for indicator in indicators]
    if len(set(names)) != len(names):
        raise CaseBuildError("一级指标重名")
    weights = [root.weight if root.weight is not None else sum((leaf.weight or Decimal(0) for leaf in root.leaves()), Decimal(0)) for root in tree.roots]
    full = full_score if full_score is not None else sum(weights, Decimal(0))
    grading = Grading(bands=[Band(name=name, min=low) for name, low in bands]) if bands else Grading()
    scores = {_path(node): node.score for node in tree.walk() if node.children and node.score is not None}
    stated = Stated(
        source="报告原文",
        total=stated_total,
        grade=stated_grade if stated_grade in {band.name for band in grading.bands} else None,
        full_score=stated_full_score,
        scores={key: value for key, value in scores.items() if value is not None},
    )
    known = {key: value for key, value in (funds or {}).items() if key in ("budget", "received", "spent")}
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
    return case.stated is not None and case.stated.source == SCAFFOLD_SOURCE


def _path(node: Node) -> str:
    names = []
    current: Node | None = node
    while current is not None:
        names.append(_name(current))
        current = current.parent
    return "/".join(reversed(names))
