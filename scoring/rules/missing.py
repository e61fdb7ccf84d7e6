"""某项指标无法提供具体数值，且无说明，得 0 分."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from scoring.rules.base import MISSING_AUDIT, RuleContext, RuleOutcome, RuleParams, register_rule


class MissingParams(RuleParams):
    type: Literal["missing"]


@register_rule("missing", "数值缺失且无说明（得 0 分）", MissingParams, examples=("某项指标无法提供具体数值，且无说明，得0分",))
def apply_missing(params: MissingParams, ctx: RuleContext) -> RuleOutcome:
    return RuleOutcome(score=Decimal(0), audit=MISSING_AUDIT, missing_value=True)
