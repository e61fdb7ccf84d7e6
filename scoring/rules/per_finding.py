"""每发现一例扣 X 分，扣完为止: the count comes from the findings attached to the leaf.

Weighted form: ``per_nature`` / ``per_severity`` give different points per 问题定性
or per severity (a finding's severity wins over its nature; ``per`` is the
default for the rest). Findings marked ``waived`` are listed but not counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Literal, Protocol

from pydantic import Field, model_validator

from scoring.numbers import ZERO, fmt, fmt_short
from scoring.rules.base import RuleContext, RuleOutcome, RuleParams, clamp, register_rule


class PerFindingParams(RuleParams):
    type: Literal["per_finding"]
    per: Decimal | None = Field(default=None, gt=0, description="每例扣分（按定性或严重程度另列的除外）")
    per_nature: dict[str, Decimal] = Field(default_factory=dict, description="问题定性 → 每例扣分")
    per_severity: dict[str, Decimal] = Field(default_factory=dict, description="严重程度 → 每例扣分（优先于定性）")
    count: int | None = Field(default=None, ge=0, description="例数；不填则按挂在该指标上的问题清单条数计（仅在无问题清单时使用）")
    max_deduction: Decimal | None = Field(default=None, gt=0, description="最多扣分，默认扣完为止")

    @model_validator(mode="after")
    def _some_points(self) -> "PerFindingParams":
        if self.per is None and not self.per_nature and not self.per_severity:
            raise ValueError("须给出每例扣分 per，或按定性 / 严重程度的扣分表 per_nature / per_severity")
        for name, table in (("per_nature", self.per_nature), ("per_severity", self.per_severity)):
            bad = [key for key, value in table.items() if value <= 0]
            if bad:
                raise ValueError(f"{name} 中的每例扣分应大于 0：{'、'.join(bad)}")
        if self.count is not None and self.per is None:
            raise ValueError("直接给出例数（count）时须给出每例扣分 per")
        return self

    @property
    def weighted(self) -> bool:
        return bool(self.per_nature or self.per_severity)


class _Points(Protocol):
    @property
    def per(self) -> Decimal | None: ...

    @property
    def per_nature(self) -> dict[str, Decimal]: ...

    @property
    def per_severity(self) -> dict[str, Decimal]: ...


def finding_deduction(params: _Points, ctx: RuleContext, count: int | None = None) -> tuple[Decimal, int, Callable[[], str]]:
    """(deduction before the cap, cases counted, a function writing the arithmetic) for per-finding points ``params``."""
    d = ctx.decimals
    if count is not None or not (params.per_nature or params.per_severity):
        cases = ctx.findings_count if count is None else count
        per = params.per if params.per is not None else ZERO
        deduction = per * cases
        return deduction, cases, partial(_plain_arithmetic, cases, per, deduction, d)
    groups: Counter[tuple[str, Decimal | None]] = Counter()
    kinds = ctx.finding_kinds
    for nature, severity in kinds:
        if severity is not None and severity in params.per_severity:
            groups[(severity, params.per_severity[severity])] += 1
        elif nature in params.per_nature:
            groups[(nature, params.per_nature[nature])] += 1
        else:
            groups[("其他", params.per)] += 1
    total = ZERO
    unpriced = 0
    for (_, points), times in groups.items():
        if points is None:
            unpriced += times
        else:
            total += points * times

    return total, len(kinds), partial(_weighted_arithmetic, groups, total, unpriced, d)


def _plain_arithmetic(cases: int, per: Decimal, deduction: Decimal, d: int) -> str:
    return f"{cases} 例 × {fmt_short(per, d)} = {fmt(deduction, d)}"


def _weighted_arithmetic(groups: Counter[tuple[str, Decimal | None]], total: Decimal, unpriced: int, d: int) -> str:
    parts = [f"{label} {times} 例 × {fmt_short(points, d)}" for (label, points), times in groups.items() if points is not None]
    text = f"{' + '.join(parts) or '0 例'} = {fmt(total, d)}"
    if unpriced:
        text += f"（另有 {unpriced} 例的定性未列入扣分表，未扣分）"
    return text


@register_rule(
    "per_finding",
    "每发现一例扣分",
    PerFindingParams,
    examples=("每发现一例扣0.2分，扣完为止", "合规得满分，每发现一例明显不合规情况扣0.5分", "上述每发现一项明显不符情况扣1分"),
)
def apply_per_finding(params: PerFindingParams, ctx: RuleContext) -> RuleOutcome:
    d = ctx.decimals
    weight = ctx.weight
    deduction, _, arithmetic = finding_deduction(params, ctx, params.count)
    limit = weight if params.max_deduction is None else min(params.max_deduction, weight)
    applied = min(deduction, limit)
    score = clamp(weight - applied, weight)
    return RuleOutcome(score, partial(_audit, arithmetic, d, weight, deduction, limit, applied, score, ctx.waived_count))


def _audit(
    arithmetic: Callable[[], str], d: int, weight: Decimal, deduction: Decimal, limit: Decimal, applied: Decimal, score: Decimal, waived: int
) -> str:
    text = f"{arithmetic()}；{fmt_short(weight, d)} − {fmt(applied, d)} = {fmt(score, d)}"
    if applied < deduction:
        text += "（扣完为止）" if limit == weight else f"（最多扣 {fmt_short(limit, d)} 分）"
    if waived:
        text += f"；另列 {waived} 例未扣分（见问题清单 waived）"
    return text
