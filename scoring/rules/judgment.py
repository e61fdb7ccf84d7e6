"""The evaluator states 扣 X 分 and why."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from scoring.numbers import fmt, fmt_short
from scoring.rules.base import RuleContext, RuleOutcome, RuleParams, clamp, register_rule


class JudgmentParams(RuleParams):
    type: Literal["judgment"]
    deduction: Decimal = Field(default=Decimal(0), ge=0, description="扣分")
    reason: str | None = Field(default=None, description="扣分理由（扣分时必填）")

    @model_validator(mode="after")
    def _reason_when_deducting(self) -> "JudgmentParams":
        if self.deduction > 0 and not (self.reason and self.reason.strip()):
            raise ValueError("扣分时须写明扣分理由（reason）")
        return self


@register_rule("judgment", "评价人酌情扣分", JudgmentParams, examples=("①立项依据充分；②程序规范（只列评价要点，扣分由评价说明给出）",))
def apply_judgment(params: JudgmentParams, ctx: RuleContext) -> RuleOutcome:
    d = ctx.decimals
    score = clamp(ctx.weight - params.deduction, ctx.weight)
    if params.deduction == 0:
        audit = f"未扣分，得满分 {fmt(score, d)}"
    else:
        audit = f"扣 {fmt_short(params.deduction, d)} 分：{fmt_short(ctx.weight, d)} − {fmt_short(params.deduction, d)} = {fmt(score, d)}"
        if params.deduction > ctx.weight:
            audit += "（扣完为止）"
    return RuleOutcome(score=score, audit=audit, reason=params.reason)
