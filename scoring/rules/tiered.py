"""分档: "≥95% 得满分，90%（含）–95% 得 80%，…，低于 60% 不得分".

The value is a ratio or any figure (``value``, or ``numerator``/``denominator``),
or the number of findings attached to the leaf (``of: findings``, for
"0 例得满分，1–2 例得 80%"). Each tier is an interval with bounds inclusive or
exclusive as written, and earns a share of the weight (``percent``) or fixed
points (``score``). Tiers may not overlap; a value in no tier scores 0.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scoring.numbers import HUNDRED, fmt, fmt_figure, fmt_short, quantize
from scoring.rules.base import MISSING_AUDIT, NumberOrRef, RuleContext, RuleOutcome, RuleParams, clamp, register_rule, weight_share


class Tier(BaseModel):
    """One band: ``min``–``max`` (either may be open) → ``percent`` of the weight or ``score`` points."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min: Decimal | None = Field(default=None, description="下限；不填为无下限")
    max: Decimal | None = Field(default=None, description="上限；不填为无上限")
    min_inclusive: bool = Field(default=True, description="下限是否含本数（“（含）”“及以上”“≥”）")
    max_inclusive: bool = Field(default=False, description="上限是否含本数")
    percent: Decimal | None = Field(default=None, ge=0, le=100, description="得分值的百分比（满分为 100）")
    score: Decimal | None = Field(default=None, ge=0, description="得分（分）")

    @model_validator(mode="after")
    def _shape(self) -> "Tier":
        if (self.percent is None) == (self.score is None):
            raise ValueError("每一档须给出 percent（得分值的百分比）或 score（得分）之一")
        if self.min is not None and self.max is not None:
            if self.min > self.max or (self.min == self.max and not (self.min_inclusive and self.max_inclusive)):
                raise ValueError(f"档位下限 {self.min} 不能大于上限 {self.max}（相等时须两端都含本数）")
        return self

    def contains(self, value: Decimal) -> bool:
        if self.min is not None and (value < self.min or (value == self.min and not self.min_inclusive)):
            return False
        if self.max is not None and (value > self.max or (value == self.max and not self.max_inclusive)):
            return False
        return True

    def describe(self, d: int, unit: str) -> str:
        low = None if self.min is None else f"{fmt_short(self.min, d)}{unit}{'（含）' if self.min_inclusive else '（不含）'}"
        high = None if self.max is None else f"{fmt_short(self.max, d)}{unit}{'（含）' if self.max_inclusive else '（不含）'}"
        if low and high:
            return f"{low}–{high}"
        if self.min is not None:
            return f"{'≥' if self.min_inclusive else '>'} {fmt_short(self.min, d)}{unit}"
        if self.max is not None:
            return f"{'≤' if self.max_inclusive else '<'} {fmt_short(self.max, d)}{unit}"
        return "任意值"


def _probe_points(tiers: list[Tier]) -> list[Decimal]:
    bounds = sorted({b for tier in tiers for b in (tier.min, tier.max) if b is not None})
    points = list(bounds)
    points += [(a + b) / 2 for a, b in zip(bounds, bounds[1:])]
    if bounds:
        points += [bounds[0] - 1, bounds[-1] + 1]
    return points


class TieredParams(RuleParams):
    type: Literal["tiered"]
    of: Literal["value", "findings"] = Field(default="value", description="value：按数值分档；findings：按挂在该指标上的问题条数分档")
    value: NumberOrRef | None = Field(default=None, description="数值（百分数如 92.5），或资金引用")
    numerator: NumberOrRef | None = Field(default=None, description="分子，与 denominator 同给时按百分比分档")
    denominator: NumberOrRef | None = Field(default=None, description="分母")
    label: str = Field(default="指标值", description="数值的名称，如 验收合格率")
    unit: str = Field(default="%", description="数值的单位（显示用），按例数分档时为 例")
    tiers: list[Tier] = Field(min_length=1, description="各档：min / max / min_inclusive / max_inclusive / percent 或 score")
    explanation: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "TieredParams":
        if self.value is not None and (self.numerator is not None or self.denominator is not None):
            raise ValueError("value 与 numerator/denominator 只能给出一种")
        if (self.numerator is None) != (self.denominator is None):
            raise ValueError("numerator 与 denominator 须同时给出")
        if self.of == "findings" and (self.value is not None or self.numerator is not None):
            raise ValueError("按问题条数分档（of: findings）时不应再给 value / numerator")
        for point in _probe_points(self.tiers):
            hits = [i + 1 for i, tier in enumerate(self.tiers) if tier.contains(point)]
            if len(hits) > 1:
                raise ValueError(f"档位重叠：{fmt_short(point, 4)} 同时落在第 {'、'.join(map(str, hits))} 档")
        return self


@register_rule(
    "tiered",
    "分档得分",
    TieredParams,
    examples=("≥95%得满分，90%（含）–95%得80%，80%（含）–90%得60%，低于60%不得分", "0例得满分，1-2例得分值的80%，3例及以上不得分"),
)
def apply_tiered(params: TieredParams, ctx: RuleContext) -> RuleOutcome:
    d = ctx.decimals
    weight = ctx.weight
    value: Decimal | None
    numerator = denominator = None
    if params.of == "findings":
        value = Decimal(ctx.findings_count)
        unit = "例" if params.unit == "%" else params.unit
    elif params.numerator is not None and params.denominator is not None:
        numerator, denominator = ctx.resolve(params.numerator), ctx.resolve(params.denominator)
        unit = params.unit
        if numerator is None or denominator is None or denominator == 0:
            return RuleOutcome(score=Decimal(0), audit=MISSING_AUDIT if denominator != 0 else f"{params.label}的分母为 0，无法计算，得 0 分", missing_value=True)
        value = quantize(numerator / denominator * HUNDRED, d)
    else:
        value = params.value if isinstance(params.value, Decimal) else ctx.resolve(params.value)
        unit = params.unit
        if value is None:
            return RuleOutcome(score=Decimal(0), audit=MISSING_AUDIT, missing_value=True)
    for tier in params.tiers:
        if tier.contains(value):
            raw = weight_share(weight, tier.percent) if tier.percent is not None else (tier.score if tier.score is not None else Decimal(0))
            score = clamp(raw, weight)
            return RuleOutcome(score, partial(_audit, params, ctx, numerator, denominator, value, unit, tier, raw, score))
    return RuleOutcome(Decimal(0), partial(_audit, params, ctx, numerator, denominator, value, unit, None, Decimal(0), Decimal(0)))


def _audit(
    params: TieredParams, ctx: RuleContext, numerator: Decimal | None, denominator: Decimal | None,
    value: Decimal, unit: str, tier: Tier | None, raw: Decimal, score: Decimal,
) -> str:
    d, weight = ctx.decimals, ctx.weight
    if params.of == "findings":
        head = f"{params.label} {ctx.findings_count} 例"
    elif numerator is not None and denominator is not None:
        head = f"{params.label} = {fmt_figure(numerator, d)} / {fmt_figure(denominator, d)} = {fmt_short(value, d)}%"
    else:
        head = f"{params.label} {fmt_short(value, d)}{unit}"
    if tier is None:
        return f"{head}，不在任何一档内，得 {fmt(Decimal(0), d)}"
    gives = f"得分值的 {fmt_short(tier.percent, d)}%：{fmt_short(weight, d)} × {fmt_short(tier.percent, d)}%" if tier.percent is not None else f"得 {fmt_short(tier.score if tier.score is not None else Decimal(0), d)} 分"
    text = f"{head}，落在 {tier.describe(d, unit)} 档，{gives} = {fmt(score, d)}"
    return text + "（不超过分值）" if raw > weight else text
