"""Fund figures (万元): execution and arrival rates, balances, contract payment ratio, and their identities."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from scoring.models import Funds
from scoring.numbers import HUNDRED, fmt, quantize, ratio
from scoring.results import Check, FundMetric


@dataclass(frozen=True)
class FundFigures:
    """Exact values for rule references, rounded metrics for display, and identity checks."""

    values: dict[str, Decimal | None]
    metrics: list[FundMetric]
    checks: list[Check]


def _add(*values: Decimal | None) -> Decimal | None:
    if any(value is None for value in values):
        return None
    return sum(values, Decimal(0))  # type: ignore[arg-type]


def _percent(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    if numerator is None or denominator is None:
        return None
    fraction = ratio(numerator, denominator)
    return None if fraction is None else fraction * HUNDRED


def _line_sum(funds: Funds, field: str) -> Decimal | None:
    values = [getattr(line, field) for line in funds.lines]
    present = [value for value in values if value is not None]
    return sum(present, Decimal(0)) if present else None


_AMOUNT_LABELS = {
    "budget": "年初预算",
    "adjustment": "调整预算",
    "allocated": "财政拨款",
    "received": "实际到位",
    "spent": "实际支出",
    "carried_over": "结转",
    "recovered": "财政收回",
    "contract_amount": "合同金额",
    "contract_paid": "合同已支付",
}


@dataclass(frozen=True)
class _Derived:
    key: str
    label: str
    unit: str
    formula: str
    compute: Callable[[Funds, dict[str, Decimal | None]], Decimal | None]


def _planned(funds: Funds) -> Decimal | None:
    if funds.budget is None:
        return None
    return funds.budget + (funds.adjustment or Decimal(0))


def _execution_rate(funds: Funds, _: dict[str, Decimal | None]) -> Decimal | None:
    denominator = funds.received if funds.execution_basis == "received" else _planned(funds)
    return _percent(funds.spent, denominator)


_DERIVED: tuple[_Derived, ...] = (
    _Derived("planned", "计划资金（预算 + 调整）", "万元", "年初预算 + 调整预算", lambda f, v: _planned(f)),
    _Derived("execution_rate", "预算执行率", "%", "实际支出 / 实际到位", _execution_rate),
    _Derived("arrival_rate", "资金到位率", "%", "实际到位 / 计划资金", lambda f, v: _percent(f.received, v["planned"])),
    _Derived("balance", "资金结余", "万元", "实际到位 − 实际支出", lambda f, v: _add(f.received, -f.spent if f.spent is not None else None)),
    _Derived(
        "indicator_balance",
        "指标结余数",
        "万元",
        "年初预算 + 调整预算 − 财政拨款",
        lambda f, v: _add(v["planned"], -f.allocated if f.allocated is not None else None),
    ),
    _Derived(
        "fund_balance",
        "资金结余、结转数",
        "万元",
        "财政拨款 − 实际支付",
        lambda f, v: _add(f.allocated, -f.spent if f.spent is not None else None),
    ),
    _Derived(
        "contract_payment_ratio", "合同支付比例", "%", "合同已支付 / 合同金额", lambda f, v: _percent(f.contract_paid, f.contract_amount)
    ),
    _Derived("lines_budget", "子项目预算合计", "万元", "各子项目预算之和", lambda f, v: _line_sum(f, "budget")),
    _Derived("lines_received", "子项目到位合计", "万元", "各子项目到位之和", lambda f, v: _line_sum(f, "received")),
    _Derived("lines_spent", "子项目支出合计", "万元", "各子项目支出之和", lambda f, v: _line_sum(f, "spent")),
)


def compute_funds(funds: Funds, decimals: int = 2) -> FundFigures:
    """Every fund metric the case allows, plus the identities that should hold between them."""
    values: dict[str, Decimal | None] = {key: getattr(funds, key) for key in _AMOUNT_LABELS}
    metrics = [
        FundMetric(key=key, label=label, value=values[key], unit="万元", formula="报告给出")
        for key, label in _AMOUNT_LABELS.items()
        if values[key] is not None
    ]
    for derived in _DERIVED:
        value = derived.compute(funds, values)
        values[derived.key] = value
        if value is not None and derived.key != "planned":
            formula = derived.formula
            if derived.key == "execution_rate" and funds.execution_basis == "budget":
                formula = "实际支出 / 计划资金（预算 + 调整）"
            metrics.append(
                FundMetric(key=derived.key, label=derived.label, value=quantize(value, decimals), unit=derived.unit, formula=formula)  # type: ignore[arg-type]
            )
    return FundFigures(values=values, metrics=metrics, checks=_identity_checks(funds, values, decimals))


def _identity_checks(funds: Funds, values: dict[str, Decimal | None], decimals: int) -> list[Check]:
    checks: list[Check] = []
    fund_balance = values["fund_balance"]
    if fund_balance is not None and (funds.carried_over is not None or funds.recovered is not None):
        parts = (funds.carried_over or Decimal(0)) + (funds.recovered or Decimal(0))
        if quantize(parts, decimals) != quantize(fund_balance, decimals):
            checks.append(
                Check(
                    kind="fund_identity",
                    severity="error",
                    location="funds.fund_balance",
                    message=(
                        f"资金结余、结转数应等于 财政拨款 − 实际支付 = {fmt(fund_balance, decimals)}，"
                        f"也应等于 结转数 + 财政收回数 = {fmt(parts, decimals)}，两者不符"
                    ),
                    stated=quantize(parts, decimals),
                    computed=quantize(fund_balance, decimals),
                )
            )
    for line_key, total_key in (("lines_budget", "budget"), ("lines_received", "received"), ("lines_spent", "spent")):
        line_total, total = values[line_key], values[total_key]
        if line_total is not None and total is not None and quantize(line_total, decimals) != quantize(total, decimals):
            # Each line rounded to the cent can drift by half a cent: flag it, but as a likely rounding artefact.
            rounding_only = abs(line_total - total) <= Decimal(len(funds.lines)) * Decimal("0.5") * Decimal(1).scaleb(-decimals)
            note = "（差额在各行四舍五入误差以内，可能是逐行取整所致）" if rounding_only else ""
            checks.append(
                Check(
                    kind="fund_lines_sum",
                    severity="warning" if rounding_only else "error",
                    location=f"funds.lines.{total_key}",
                    message=f"子项目{_AMOUNT_LABELS[total_key]}合计 {fmt(line_total, decimals)} 与总额 {fmt(total, decimals)} 不符{note}",
                    stated=quantize(total, decimals),
                    computed=quantize(line_total, decimals),
                )
            )
    if funds.spent is not None and funds.received is not None and funds.spent > funds.received:
        checks.append(
            Check(
                kind="fund_overspent",
                severity="warning",
                location="funds.spent",
                message=f"实际支出 {fmt(funds.spent, decimals)} 超过实际到位 {fmt(funds.received, decimals)}",
                stated=funds.spent,
                computed=funds.received,
            )
        )
    if funds.contract_paid is not None and funds.contract_amount is not None and funds.contract_paid > funds.contract_amount:
        checks.append(
            Check(
                kind="fund_overpaid",
                severity="warning",
                location="funds.contract_paid",
                message=f"合同已支付 {fmt(funds.contract_paid, decimals)} 超过合同金额 {fmt(funds.contract_amount, decimals)}",
                stated=funds.contract_paid,
                computed=funds.contract_amount,
            )
        )
    return checks


FUND_LABELS: dict[str, str] = {**_AMOUNT_LABELS, **{d.key: d.label for d in _DERIVED}}
FUND_UNITS: dict[str, str] = {**{key: "万元" for key in _AMOUNT_LABELS}, **{d.key: d.unit for d in _DERIVED}}

#: Names a rule may reference as ``funds.<name>``.
FUND_REFERENCE_KEYS: tuple[str, ...] = (*_AMOUNT_LABELS, *(d.key for d in _DERIVED))
