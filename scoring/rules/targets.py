"""Quantitative targets (003's rules): the output band and the result target.

产出: 实际/目标 within 100–130 % earns the full weight; each percentage point
below the band costs 5 % of the weight, each point above it 1 %.
结果: ≥ 100 % earns the full weight; each point below costs 5 %.
Points are measured on the completion percentage as printed (2 decimals) and
count proportionally (93.5 % is 6.5 points below).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial
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


def _completion(params: _TargetParams, ctx: RuleContext) -> tuple[Decimal | None, Callable[[], str]]:
    """(completion percent as printed, a function writing how it was computed), or (None, the reason)."""
    d = ctx.decimals
    target = params.target if isinstance(params.target, Decimal) else ctx.resolve(params.target)
    actual = params.actual if isinstance(params.actual, Decimal) or params.actual is None else ctx.resolve(params.actual)
    if actual is None or target is None:
        return None, lambda: ""
    if target <= 0:
        return None, lambda: "目标值不大于 0，无法计算完成比例"
    percent = quantize(actual / target * HUNDRED, d)
    return percent, partial(_completion_text, actual, target, percent, d)


def _completion_text(actual: Decimal, target: Decimal, percent: Decimal, d: int) -> str:
    return f"实际/目标 = {fmt_figure(actual, d)} / {fmt_figure(target, d)} = {fmt_short(percent, d)}%"


def _missing(head: Callable[[], str]) -> RuleOutcome:
    return RuleOutcome(score=Decimal(0), audit=head() or MISSING_AUDIT, missing_value=True)


def _penalised(ctx: RuleContext, points: Decimal, penalty: Decimal, direction: str, bound: Decimal, head: Callable[[], str]) -> RuleOutcome:
    d = ctx.decimals
    weight = ctx.weight
    raw = weight - points * penalty / HUNDRED * weight
    score = clamp(raw, weight)
    return RuleOutcome(score, partial(_penalty_text, head, direction, bound, points, penalty, weight, raw, score, d))


def _penalty_text(
    head: Callable[[], str], direction: str, bound: Decimal, points: Decimal, penalty: Decimal, weight: Decimal, raw: Decimal, score: Decimal, d: int
) -> str:
    shown = fmt_short(weight, d)
    text = (
        f"{head()}，{direction} {fmt_short(bound, d)}% 共 {fmt_short(points, d)} 个百分点；"
        f"{shown} − {fmt_short(points, d)} × {fmt_short(penalty, d)}% × {shown} = {fmt(score, d)}"
    )
    return text + "（扣完为止）" if raw < ZERO else text


def _full_text(head: Callable[[], str], middle: str, weight: Decimal, d: int) -> str:
    return f"{head()}，{middle}，得满分 {fmt(weight, d)}"


@register_rule(
    "output_band",
    "产出目标区间（100%–130% 满分）",
    OutputBandParams,
    examples=("完成100%~130%得权重值满分，实际完成值每低于目标值1个百分点相应扣减权重值的5%，超过130%的每超过1%扣权重值1%",),
)
def apply_output_band(params: OutputBandParams, ctx: RuleContext) -> RuleOutcome:
    percent, head = _completion(params, ctx)
    if percent is None:
        return _missing(head)
    if percent < params.band_low:
        return _penalised(ctx, params.band_low - percent, params.below_penalty, "低于", params.band_low, head)
    if percent > params.band_high:
        return _penalised(ctx, percent - params.band_high, params.above_penalty, "超过", params.band_high, head)
    d = ctx.decimals
    return RuleOutcome(ctx.weight, partial(_full_text, head, f"在 {fmt_short(params.band_low, d)}%–{fmt_short(params.band_high, d)}% 之间", ctx.weight, d))


@register_rule("result_target", "结果目标（≥100% 满分）", ResultTargetParams, examples=("以100%及以上为满分，每降低1%扣权重值5%",))
def apply_result_target(params: ResultTargetParams, ctx: RuleContext) -> RuleOutcome:
    percent, head = _completion(params, ctx)
    if percent is None:
        return _missing(head)
    if percent < HUNDRED:
        return _penalised(ctx, HUNDRED - percent, params.below_penalty, "低于", HUNDRED, head)
    return RuleOutcome(ctx.weight, partial(_full_text, head, "达到 100%", ctx.weight, ctx.decimals))
