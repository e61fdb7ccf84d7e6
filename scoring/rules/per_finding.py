"""每发现一例扣 X 分，扣完为止: the count comes from the findings attached to the leaf.

Weighted form: ``per_nature`` / ``per_severity`` give different points per 问题定性
or per severity (a finding's severity wins over its nature; ``per`` is the
default for the rest). Findings marked ``waived`` are listed but not counted.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Literal, Protocol

from pydantic import Field, model_validator

from scoring.numbers import ZERO, fmt, fmt_short
from scoring.rules.base import RuleContext, RuleOutcome, RuleParams, clamp, register_rule


class PerFindingParams(RuleParams):
    type: Literal["per_finding"]
    per: Decimal | None = Field(default=None, gt=0, description="每例扣分（按定性或严重程度另列的除外）")
    per_nature: dict[str, Decimal] = Field(default_factory=dict, description="问题定性 → 每例扣分")
    per_severity: dict[str, Decimal] = Field(default_factory=dict, description="严重程度 → 每例扣分（优先于定性）")
    count: int | None = Field(default=None, ge=0, description="例数；不填则按挂在该指标上的问题清单条数计（仅在无问题清单时使用）")
    max_deduction: Decimal | None = Field(default=None, gt=0, description="最多扣分，默认扣完为止")

    @model_validator(mode="after")
    def _some_points(self) -> "PerFindingParams":
        if self.per is None and not self.per_nature and not self.per_severity:
            raise ValueError("须给出每例扣分 per，或按定性 / 严重程度的扣分表 per_nature / per_severity")
        for name, table in (("per_nature", self.per_nature), ("per_severity", self.per_severity)):
            bad = [key for key, value in table.items() if value <= 0]
            if bad:
                raise ValueError(f"{name} 中的每例扣分应大于 0：{'、'.join(bad)}")
        if self.count is not None and self.per is None:
            raise ValueError("直接给出例数（count）时须给出每例扣分 per")
        return self

    @property
    def weighted(self) -> bool:
        return bool(self.per_nature or self.per_severity)


class _Points(Protocol):
    per: Decimal | None
    per_nature: dict[str, Decimal]
    per_severity: dict[str, Decimal]


def finding_deduction(params: _Points, ctx: RuleContext, count: int | None = None) -> tuple[Decimal, int, str]:
    """(deduction before the cap, cases counted, the arithmetic as text) for per-finding points ``params``."""
    d = ctx.decimals
    if count is not None or not (params.per_nature or params.per_severity):
        count = ctx.findings_count if count is None else count
        per = params.per if params.per is not None else ZERO
        deduction = per * count
        return deduction, count, f"{count} 例 × {fmt_short(per, d)} = {fmt(deduction, d)}"
    groups: Counter[tuple[str, Decimal | None]] = Counter()
    for nature, severity in ctx.finding_kinds:
        if severity is not None and severity in params.per_severity:
            groups[(severity, params.per_severity[severity])] += 1
        elif nature in params.per_nature:
            groups[(nature, params.per_nature[nature])] += 1
        else:
            groups[("其他", params.per)] += 1
    parts = []
    deduction = ZERO
    unpriced = 0
    for (label, points), times in groups.items():
        if points is None:
            unpriced += times
            continue
        deduction += points * times
        parts.append(f"{label} {times} 例 × {fmt_short(points, d)}")
    text = f"{' + '.join(parts) or '0 例'} = {fmt(deduction, d)}"
    if unpriced:
        text += f"（另有 {unpriced} 例的定性未列入扣分表，未扣分）"
    return deduction, len(ctx.finding_kinds), text


@register_rule(
    "per_finding",
    "每发现一例扣分",
    PerFindingParams,
    examples=("每发现一例扣0.2分，扣完为止", "合规得满分，每发现一例明显不合规情况扣0.5分", "上述每发现一项明显不符情况扣1分"),
)
def apply_per_finding(params: PerFindingParams, ctx: RuleContext) -> RuleOutcome:
    d = ctx.decimals
    deduction, _, arithmetic = finding_deduction(params, ctx, params.count)
    limit = ctx.weight if params.max_deduction is None else min(params.max_deduction, ctx.weight)
    applied = min(deduction, limit)
    score = clamp(ctx.weight - applied, ctx.weight)
    audit = f"{arithmetic}；{fmt_short(ctx.weight, d)} − {fmt(applied, d)} = {fmt(score, d)}"
    if applied < deduction:
        audit += "（扣完为止）" if limit == ctx.weight else f"（最多扣 {fmt_short(limit, d)} 分）"
    if ctx.waived_count:
        audit += f"；另列 {ctx.waived_count} 例未扣分（见问题清单 waived）"
    return RuleOutcome(score=score, audit=audit)
