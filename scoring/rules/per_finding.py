"""每发现一例扣 X 分，扣完为止: the count comes from the findings attached to the leaf."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from scoring.numbers import fmt, fmt_short
from scoring.rules.base import RuleContext, RuleOutcome, RuleParams, clamp, register_rule


class PerFindingParams(RuleParams):
    type: Literal["per_finding"]
    per: Decimal = Field(gt=0, description="每例扣分")
    count: int | None = Field(default=None, ge=0, description="例数；不填则按挂在该指标上的问题清单条数计")
    max_deduction: Decimal | None = Field(default=None, gt=0, description="最多扣分，默认扣完为止")


@register_rule("per_finding", "每发现一例扣分", PerFindingParams)
def apply_per_finding(params: PerFindingParams, ctx: RuleContext) -> RuleOutcome:
    d = ctx.decimals
    count = ctx.findings_count if params.count is None else params.count
    deduction = params.per * count
    limit = ctx.weight if params.max_deduction is None else min(params.max_deduction, ctx.weight)
    applied = min(deduction, limit)
    score = clamp(ctx.weight - applied, ctx.weight)
    audit = f"{count} 例 × {fmt_short(params.per, d)} = {fmt(deduction, d)}；{fmt_short(ctx.weight, d)} − {fmt(applied, d)} = {fmt(score, d)}"
    if applied < deduction:
        audit += "（扣完为止）" if limit == ctx.weight else f"（最多扣 {fmt_short(limit, d)} 分）"
    return RuleOutcome(score=score, audit=audit)
