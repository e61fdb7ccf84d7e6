"""Time-based deduction: "每逾期一天（一周、一个月）扣 x 分，最多扣 y 分" against a due date.

Lateness is ``actual − due`` (dates; ``2024-03-01`` or ``2024年3月1日``) or
``late`` given directly. A part of a week or month counts as a whole one
unless ``partial: down``. On or before the due date: full weight.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from scoring.numbers import fmt, fmt_short
from scoring.numparse import find_numbers
from scoring.rules.base import MISSING_AUDIT, RuleContext, RuleOutcome, RuleParams, clamp, register_rule

_UNIT_NAMES = {"day": "天", "week": "周", "month": "个月"}


def _date(value: Any) -> Any:
    """Accept ISO dates and Chinese dates (``2024年3月1日``, read by the shared number parser)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str) and not re.fullmatch(r"\s*\d{4}-\d{1,2}-\d{1,2}\s*", value):
        dates = [n.date for n in find_numbers(value) if n.role == "date" and n.date is not None]
        if len(dates) == 1 and all(part is not None for part in dates[0]):
            year, month, day = dates[0]
            try:
                return dt.date(year, month, day)  # type: ignore[arg-type]
            except ValueError as exc:
                raise ValueError(f"日期无效：{value}") from exc
        raise ValueError(f"无法识别的日期 {value!r}（写作 2024-03-01 或 2024年3月1日）")
    return value


DateValue = Annotated[dt.date, BeforeValidator(_date)]


class LatenessParams(RuleParams):
    type: Literal["lateness"]
    due: DateValue | None = Field(default=None, description="应完成日期")
    actual: DateValue | None = Field(default=None, description="实际完成日期")
    late: int | None = Field(default=None, ge=0, description="逾期的天/周/月数（不给日期时直接写）")
    unit: Literal["day", "week", "month"] = Field(default="day", description="按天 / 周 / 月计")
    partial: Literal["up", "down"] = Field(default="up", description="不足一周（月）的：up 按一周（月）计，down 不计")
    per: Decimal = Field(gt=0, description="每逾期一个单位扣分")
    max_deduction: Decimal | None = Field(default=None, gt=0, description="最多扣分，默认扣完为止")
    label: str = Field(default="完成", description="事项名称，如 报告提交")

    @model_validator(mode="after")
    def _one_source(self) -> "LatenessParams":
        has_dates = self.due is not None or self.actual is not None
        if has_dates and self.late is not None:
            raise ValueError("due/actual 与 late 只能给出一种")
        if self.actual is not None and self.due is None:
            raise ValueError("给出实际日期 actual 时须给出应完成日期 due")
        return self


def late_units(due: dt.date, actual: dt.date, unit: str, partial: str) -> int:
    """Whole days, weeks or calendar months from ``due`` to ``actual`` (0 when on time)."""
    days = (actual - due).days
    if days <= 0:
        return 0
    if unit == "day":
        return days
    if unit == "week":
        whole, rest = divmod(days, 7)
        return whole + (1 if rest and partial == "up" else 0)
    months = (actual.year - due.year) * 12 + actual.month - due.month
    if actual.day < due.day:
        months -= 1
    reached = _add_months(due, months) == actual
    return months + (1 if not reached and partial == "up" else 0)


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    return dt.date(year, month, 28)


@register_rule(
    "lateness",
    "逾期扣分（按天 / 周 / 月）",
    LatenessParams,
    examples=("每逾期一天扣0.1分，最多扣2分", "每延迟一个月扣0.5分，扣完为止"),
)
def apply_lateness(params: LatenessParams, ctx: RuleContext) -> RuleOutcome:
    d = ctx.decimals
    weight = ctx.weight
    if params.late is not None:
        units = params.late
    elif params.due is not None and params.actual is not None:
        units = late_units(params.due, params.actual, params.unit, params.partial)
        if units == 0:
            return RuleOutcome(weight, partial(_audit, params, d, weight, 0, None, None, weight))
    else:
        return RuleOutcome(score=Decimal(0), audit=MISSING_AUDIT, missing_value=True)
    deduction = params.per * units
    limit = weight if params.max_deduction is None else min(params.max_deduction, weight)
    applied = min(deduction, limit)
    score = clamp(weight - applied, weight)
    return RuleOutcome(score, partial(_audit, params, d, weight, units, deduction, limit, score))


def _audit(params: LatenessParams, d: int, weight: Decimal, units: int, deduction: Decimal | None, limit: Decimal | None, score: Decimal) -> str:
    name = _UNIT_NAMES[params.unit]
    if params.late is not None:
        head = f"{params.label}逾期 {units} {name}"
    else:
        head = f"应于 {params.due.isoformat()} {params.label}，实际 {params.actual.isoformat()}"  # type: ignore[union-attr]
        if deduction is None:
            return f"{head}，未逾期，得满分 {fmt(weight, d)}"
        head += f"，逾期 {units} {name}"
    assert deduction is not None and limit is not None
    applied = min(deduction, limit)
    text = f"{head}；{units} × {fmt_short(params.per, d)} = {fmt(deduction, d)}；{fmt_short(weight, d)} − {fmt(applied, d)} = {fmt(score, d)}"
    if applied < deduction:
        text += "（扣完为止）" if limit == weight else f"（最多扣 {fmt_short(limit, d)} 分）"
    return text
