"""The evaluator states 扣 X 分 and why."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
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
    weight = ctx.weight
    deduction = params.deduction
    score = clamp(weight - deduction, weight)

    return RuleOutcome(score, partial(_audit, d, weight, deduction, score), params.reason)


def _audit(d: int, weight: Decimal, deduction: Decimal, score: Decimal) -> str:
    if deduction == 0:
        return f"未扣分，得满分 {fmt(score, d)}"
    text = f"扣 {fmt_short(deduction, d)} 分：{fmt_short(weight, d)} − {fmt_short(deduction, d)} = {fmt(score, d)}"
    return text + "（扣完为止）" if deduction > weight else text
