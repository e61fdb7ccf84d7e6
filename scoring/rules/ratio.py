"""得分 = 分值 × 比率 (预算执行率、满意度、完成率), capped at the weight."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Literal

from pydantic import Field, model_validator

from scoring.numbers import HUNDRED, fmt, fmt_figure, fmt_pct, fmt_short, pct_to_fraction, quantize
from scoring.rules.base import MISSING_AUDIT, NumberOrRef, RuleContext, RuleOutcome, RuleParams, clamp, register_rule


class RatioParams(RuleParams):
    type: Literal["ratio"]
    rate: NumberOrRef | None = Field(default=None, description="比率（百分数，如 95.91），或资金引用")
    numerator: NumberOrRef | None = Field(default=None, description="分子（实际值），数字或资金引用")
    denominator: NumberOrRef | None = Field(default=None, description="分母（计划值），数字或资金引用")
    label: str = Field(default="比率", description="比率的名称，如 预算执行率")
    cap: Decimal = Field(default=HUNDRED, gt=0, description="比率上限（百分数），默认 100")
    explanation: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> "RatioParams":
        has_rate = self.rate is not None
        has_pair = self.numerator is not None or self.denominator is not None
        if has_rate and has_pair:
            raise ValueError("rate 与 numerator/denominator 只能给出一种")
        if has_pair and (self.numerator is None or self.denominator is None):
            raise ValueError("numerator 与 denominator 须同时给出")
        return self


@register_rule("ratio", "按比率得分", RatioParams, examples=("得分=预算执行率×分值", "得分等于指标分值*预算执行率", "满意度100%得满分，否则按比例得分"))
def apply_ratio(params: RatioParams, ctx: RuleContext) -> RuleOutcome:
    d = ctx.decimals
    rate = params.rate
    numerator = denominator = None
    if rate is not None:
        percent = rate if isinstance(rate, Decimal) else ctx.resolve(rate)
    elif params.numerator is not None and params.denominator is not None:
        numerator = ctx.resolve(params.numerator)
        denominator = ctx.resolve(params.denominator)
        if numerator is None or denominator is None:
            percent = None
        elif denominator == 0:
            return RuleOutcome(
                score=Decimal(0),
                audit=f"{params.label}的分母为 0，无法计算，得 0 分",
                missing_value=True,
            )
        else:
            percent = numerator / denominator * HUNDRED
    else:
        percent = None
    if percent is None:
        return RuleOutcome(score=Decimal(0), audit=MISSING_AUDIT, missing_value=True)
    weight = ctx.weight
    fraction = pct_to_fraction(percent, d)
    cap = params.cap / HUNDRED
    capped = fraction if fraction <= cap else cap
    score = clamp(weight * capped, weight)
    return RuleOutcome(score, partial(_audit, params, d, weight, numerator, denominator, percent, fraction, capped, score))


def _audit(
    params: RatioParams, d: int, weight: Decimal, numerator: Decimal | None, denominator: Decimal | None,
    percent: Decimal, fraction: Decimal, capped: Decimal, score: Decimal,
) -> str:
    prefix = ""
    if numerator is not None and denominator is not None:
        # An amount (funds.*) as the fund table shows it (820.00), a count bare (3).
        top = fmt(numerator, d) if isinstance(params.numerator, str) else fmt_figure(numerator, d)
        bottom = fmt(denominator, d) if isinstance(params.denominator, str) else fmt_figure(denominator, d)
        prefix = f"{params.label} = {top} / {bottom} = {fmt_short(quantize(percent, d), d)}%；"
    cap_note = f"（比率超过上限 {fmt_short(params.cap, d)}%，按上限计）" if capped < fraction else ""
    return f"{prefix}{fmt_short(weight, d)} × {fmt_pct(capped, d)} = {fmt(score, d)}{cap_note}"
