"""定性指标按 好/较好/一般/较差/差 得分值的 100/80/60/40/20%."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Literal

from pydantic import Field, model_validator

from scoring.numbers import HUNDRED, fmt, fmt_short
from scoring.rules.base import MISSING_AUDIT, RuleContext, RuleOutcome, RuleParams, clamp, register_rule

DEFAULT_SCALE: dict[str, Decimal] = {
    "好": Decimal(100),
    "较好": Decimal(80),
    "一般": Decimal(60),
    "较差": Decimal(40),
    "差": Decimal(20),
}


class LevelsParams(RuleParams):
    type: Literal["levels"]
    level: str | None = Field(default=None, description="评定等级，如 好")
    scale: dict[str, Decimal] = Field(default_factory=lambda: dict(DEFAULT_SCALE), description="等级 → 百分比")

    @model_validator(mode="after")
    def _level_known(self) -> "LevelsParams":
        if self.level is not None and self.level not in self.scale:
            raise ValueError(f"未知等级 {self.level!r}，可用：{'、'.join(self.scale)}")
        return self


@register_rule("levels", "定性分级", LevelsParams, examples=("定性指标按照好、较好、一般、较差、差等级评分，分别得对应权重值的100%、80%、60%、40%和20%",))
def apply_levels(params: LevelsParams, ctx: RuleContext) -> RuleOutcome:
    d = ctx.decimals
    level = params.level
    if level is None:
        return RuleOutcome(score=Decimal(0), audit=MISSING_AUDIT, missing_value=True)
    weight = ctx.weight
    percent = params.scale[level]
    score = clamp(weight * percent / HUNDRED, weight)
    return RuleOutcome(score, partial(_audit, level, percent, weight, score, d))


def _audit(level: str, percent: Decimal, weight: Decimal, score: Decimal, d: int) -> str:
    return f"{level} = {fmt_short(percent, d)}%；{fmt_short(weight, d)} × {fmt_short(percent, d)}% = {fmt(score, d)}"
