"""Upper-bound target: "15% 及其以下得满分，每超 1 个百分点扣 x 分" (003's 资金节约率, 成本控制率 …).

At or below ``limit`` (or strictly below when ``inclusive`` is false) earns
the full weight; each ``step`` points above costs ``per`` — points (``per_unit:
points``) or a percentage of the weight (``weight_percent``), counted
proportionally like the target rules; floored at 0.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Literal

from pydantic import Field

from scoring.numbers import fmt, fmt_short
from scoring.rules.base import MISSING_AUDIT, NumberOrRef, RuleContext, RuleOutcome, RuleParams, clamp, register_rule, weight_share


class UpperBoundParams(RuleParams):
    type: Literal["upper_bound"]
    limit: NumberOrRef = Field(description="上限（如 15，即 15%）")
    actual: NumberOrRef | None = Field(default=None, description="实际值；缺失且无说明得 0 分")
    inclusive: bool = Field(default=True, description="等于上限是否得满分（“及其以下”为是）")
    per: Decimal = Field(ge=0, description="每超过 step 扣多少")
    per_unit: Literal["points", "weight_percent"] = Field(default="points", description="points：扣分；weight_percent：扣分值的百分比")
    step: Decimal = Field(default=Decimal(1), gt=0, description="每超过多少（个百分点）扣一次，默认 1")
    label: str = Field(default="实际值", description="数值名称，如 资金节约率")
    unit: str = Field(default="%", description="单位（显示用）")
    explanation: str | None = None


@register_rule(
    "upper_bound",
    "上限型目标（不超过上限得满分）",
    UpperBoundParams,
    examples=("15%及其以下得满分，每超1个百分点扣0.5分", "成本超支率5%以内得满分，每超出1%扣权重值5%"),
)
def apply_upper_bound(params: UpperBoundParams, ctx: RuleContext) -> RuleOutcome:
    d = ctx.decimals
    weight = ctx.weight
    limit = params.limit if isinstance(params.limit, Decimal) else ctx.resolve(params.limit)
    actual = params.actual if isinstance(params.actual, Decimal) else ctx.resolve(params.actual)
    if actual is None or limit is None:
        return RuleOutcome(score=Decimal(0), audit=MISSING_AUDIT, missing_value=True)
    if actual < limit or (actual == limit and params.inclusive):
        return RuleOutcome(weight, partial(_audit, params, d, weight, limit, actual, None, weight))
    deduction = (actual - limit) / params.step * (params.per if params.per_unit == "points" else weight_share(weight, params.per))
    score = clamp(weight - deduction, weight)
    return RuleOutcome(score, partial(_audit, params, d, weight, limit, actual, deduction, score))


def _audit(params: UpperBoundParams, d: int, weight: Decimal, limit: Decimal, actual: Decimal, deduction: Decimal | None, score: Decimal) -> str:
    head = f"{params.label} {fmt_short(actual, d)}{params.unit}，上限 {fmt_short(limit, d)}{params.unit}"
    if deduction is None:
        return f"{head}{'（含）' if params.inclusive else ''}，未超过，得满分 {fmt(weight, d)}"
    cost = f"{fmt_short(params.per, d)} 分" if params.per_unit == "points" else f"分值的 {fmt_short(params.per, d)}%"
    step = "" if params.step == 1 else f" {fmt_short(params.step, d)} 个"
    text = f"{head}，超过 {fmt_short(actual - limit, d)} 个百分点，每超{step or ' 1 个'}百分点扣{cost}；{fmt_short(weight, d)} − {fmt(deduction, d)} = {fmt(score, d)}"
    return text + "（扣完为止）" if deduction > weight else text
