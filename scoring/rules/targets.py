"""Quantitative targets (003's rules): the output band and the result target.

产出: 实际/目标 within 100–130 % earns the full weight; each percentage point
below the band costs 5 % of the weight, each point above it 1 %.
结果: ≥ 100 % earns the full weight; each point below costs 5 %.
Points are measured on the completion percentage as printed (2 decimals) and
count proportionally (93.5 % is 6.5 points below).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from scoring.numbers import HUNDRED, ZERO, fmt, fmt_figure, fmt_short, quantize
from scoring.rules.base import MISSING_AUDIT, NumberOrRef, RuleContext, RuleOutcome, RuleParams, clamp, register_rule


class _TargetParams(RuleParams):
    target: NumberOrRef = Field(description="目标值（须大于 0）")
    actual: NumberOrRef | None = Field(default=None, description="实际完成值；缺失且无说明得 0 分")
    below_penalty: Decimal = Field(default=Decimal(5), ge=0, description="每低 1 个百分点扣分值的百分比")
    explanation: str | None = None

    @model_validator(mode="after")
    def _positive_target(self) -> "_TargetParams":
        if isinstance(self.target, Decimal) and self.target <= 0:
            raise ValueError("目标值须大于 0，否则无法计算完成比例")
        if isinstance(self.actual, Decimal) and self.actual < 0:
            raise ValueError("实际完成值不能为负数")
        return self


class OutputBandParams(_TargetParams):
    type: Literal["output_band"]
    band_low: Decimal = Field(default=Decimal(100), gt=0, description="满分区间下限（%）")
    band_high: Decimal = Field(default=Decimal(130), gt=0, description="满分区间上限（%）")
    above_penalty: Decimal = Field(default=Decimal(1), ge=0, description="每超 1 个百分点扣分值的百分比")

    @model_validator(mode="after")
    def _band_order(self) -> "OutputBandParams":
        if self.band_low > self.band_high:
            raise ValueError("band_low 不能大于 band_high")
        return self


class ResultTargetParams(_TargetParams):
    type: Literal["result_target"]


def _completion(params: _TargetParams, ctx: RuleContext) -> tuple[Decimal | None, str]:
    d = ctx.decimals
    target = ctx.resolve(params.target)
    actual = ctx.resolve(params.actual)
    if actual is None or target is None:
        return None, ""
    if target <= 0:
        return None, "目标值不大于 0，无法计算完成比例"
    percent = quantize(actual / target * HUNDRED, d)
    return percent, f"实际/目标 = {fmt_figure(actual, d)} / {fmt_figure(target, d)} = {fmt_short(percent, d)}%"


def _penalised(ctx: RuleContext, points: Decimal, penalty: Decimal, direction: str, bound: Decimal, head: str) -> RuleOutcome:
    d = ctx.decimals
    weight = fmt_short(ctx.weight, d)
    raw = ctx.weight - points * penalty / HUNDRED * ctx.weight
    score = clamp(raw, ctx.weight)
    audit = (
        f"{head}，{direction} {fmt_short(bound, d)}% 共 {fmt_short(points, d)} 个百分点；"
        f"{weight} − {fmt_short(points, d)} × {fmt_short(penalty, d)}% × {weight} = {fmt(score, d)}"
    )
    if raw < ZERO:
        audit += "（扣完为止）"
    return RuleOutcome(score=score, audit=audit)


@register_rule(
    "output_band",
    "产出目标区间（100%–130% 满分）",
    OutputBandParams,
    examples=("完成100%~130%得权重值满分，实际完成值每低于目标值1个百分点相应扣减权重值的5%，超过130%的每超过1%扣权重值1%",),
)
def apply_output_band(params: OutputBandParams, ctx: RuleContext) -> RuleOutcome:
    percent, head = _completion(params, ctx)
    if percent is None:
        return RuleOutcome(score=Decimal(0), audit=head or MISSING_AUDIT, missing_value=True)
    if percent < params.band_low:
        return _penalised(ctx, params.band_low - percent, params.below_penalty, "低于", params.band_low, head)
    if percent > params.band_high:
        return _penalised(ctx, percent - params.band_high, params.above_penalty, "超过", params.band_high, head)
    band = f"{fmt_short(params.band_low, ctx.decimals)}%–{fmt_short(params.band_high, ctx.decimals)}%"
    return RuleOutcome(score=ctx.weight, audit=f"{head}，在 {band} 之间，得满分 {fmt(ctx.weight, ctx.decimals)}")


@register_rule("result_target", "结果目标（≥100% 满分）", ResultTargetParams, examples=("以100%及以上为满分，每降低1%扣权重值5%",))
def apply_result_target(params: ResultTargetParams, ctx: RuleContext) -> RuleOutcome:
    percent, head = _completion(params, ctx)
    if percent is None:
        return RuleOutcome(score=Decimal(0), audit=head or MISSING_AUDIT, missing_value=True)
    if percent < HUNDRED:
        return _penalised(ctx, HUNDRED - percent, params.below_penalty, "低于", HUNDRED, head)
    return RuleOutcome(score=ctx.weight, audit=f"{head}，达到 100%，得满分 {fmt(ctx.weight, ctx.decimals)}")
