"""A base rule plus deductions: "运维完成率 × 分值，另每发现一例扣 p 分" (004's 项目运维完成率).

``base`` is any other rule (a ratio, tiered, …) or absent for the full weight;
then each counted finding attached to the leaf costs ``per`` (or the weighted
tables of ``per_finding``), at most ``max_deduction``, and the score is floored at 0.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any, Literal

from pydantic import Field, SerializeAsAny, ValidationError, field_validator, model_validator

from scoring.numbers import fmt, fmt_short
from scoring.rules.base import REGISTRY, RuleContext, RuleOutcome, RuleParams, clamp, register_rule
from scoring.rules.per_finding import finding_deduction


class CompositeParams(RuleParams):
    type: Literal["composite"]
    base: SerializeAsAny[RuleParams] | None = Field(default=None, description="基础规则（如 {type: ratio, …}）；不填为满分")
    per: Decimal | None = Field(default=None, gt=0, description="每例扣分")
    per_nature: dict[str, Decimal] = Field(default_factory=dict, description="问题定性 → 每例扣分")
    per_severity: dict[str, Decimal] = Field(default_factory=dict, description="严重程度 → 每例扣分")
    max_deduction: Decimal | None = Field(default=None, gt=0, description="扣分上限；默认扣完为止")

    @model_validator(mode="after")
    def _some_points(self) -> "CompositeParams":
        if self.per is None and not self.per_nature and not self.per_severity:
            raise ValueError("须给出每例扣分 per，或按定性 / 严重程度的扣分表 per_nature / per_severity")
        return self

    @field_validator("base", mode="before")
    @classmethod
    def _base_rule(cls, value: Any) -> Any:
        if value is None or isinstance(value, RuleParams):
            return value
        if not isinstance(value, dict):
            raise ValueError("base 应为一条评分规则（键值表，含 type）")
        kind = value.get("type")
        if kind == "composite":
            raise ValueError("base 不能再是 composite")
        if not isinstance(kind, str) or kind not in REGISTRY:
            raise ValueError(f"base 的评分规则类型 {kind!r} 未知（可用：{'、'.join(k for k in REGISTRY if k != 'composite')}）")
        try:
            return REGISTRY[str(kind)].params.model_validate(value)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ValueError(f"base（{kind}）{where + '：' if where else ''}{str(first['msg']).removeprefix('Value error, ')}") from None

    @property
    def weighted(self) -> bool:
        return bool(self.per_nature or self.per_severity)



@register_rule(
    "composite",
    "基础规则加每例扣分",
    CompositeParams,
    examples=("运维完成率达到100%得满分，否则按比例得分；每发现一例运维中断扣0.25分",),
)
def apply_composite(params: CompositeParams, ctx: RuleContext) -> RuleOutcome:
    d = ctx.decimals
    weight = ctx.weight
    if params.base is None:
        base = RuleOutcome(weight, partial(_full_base, weight, d))
    else:
        base = REGISTRY[params.base.type].apply(params.base, ctx)
        if base.missing_value:
            return base
    base_score = base.score
    deduction, _, arithmetic = finding_deduction(params, ctx)
    limit = base_score if params.max_deduction is None else min(params.max_deduction, base_score)
    applied = min(deduction, limit)
    score = clamp(base_score - applied, weight)
    return RuleOutcome(score, partial(_audit, params, base, arithmetic, d, deduction, limit, applied, score, ctx.waived_count), reason=base.reason)


def _full_base(weight: Decimal, d: int) -> str:
    return f"基础得满分 {fmt(weight, d)}"


def _audit(
    params: CompositeParams, base: RuleOutcome, arithmetic: Callable[[], str], d: int,
    deduction: Decimal, limit: Decimal, applied: Decimal, score: Decimal, waived: int,
) -> str:
    text = f"{base.audit}；扣分 {arithmetic()}；{fmt(base.score, d)} − {fmt(applied, d)} = {fmt(score, d)}"
    if applied < deduction:
        text += "（扣完为止）" if params.max_deduction is None or limit < params.max_deduction else f"（最多扣 {fmt_short(limit, d)} 分）"
    if waived:
        text += f"；另列 {waived} 例未扣分（见问题清单 waived）"
    return text
