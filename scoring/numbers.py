"""Exact decimal arithmetic and formatting shared by every part of jixiao.

Reports round half up (四舍五入) to two decimals; Python's float ``round`` is
banker's rounding on a binary value (``round(2.675, 2) == 2.67``), so every
figure the product shows goes through :func:`quantize` on a ``Decimal``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from functools import lru_cache

Number = Decimal | int | float | str

ZERO = Decimal(0)
HUNDRED = Decimal(100)


def to_decimal(value: Number) -> Decimal:
    """Convert ``value`` to a finite ``Decimal`` (floats through their shortest repr)."""
    if isinstance(value, Decimal):
        result = value
    else:
        try:
            result = Decimal(str(value))
        except InvalidOperation as exc:
            raise ValueError(f"不是数字：{value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"不是有限数：{value!r}")
    return result


_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(0, 13)}


def quantum(decimals: int) -> Decimal:
    """The unit of the last place kept: ``quantum(2) == Decimal('0.01')``."""
    return _QUANTA[decimals]


def quantize(value: Decimal, decimals: int = 2) -> Decimal:
    """Round half up to ``decimals`` places, as Chinese reports do (四舍五入)."""
    try:
        return value.quantize(_QUANTA[decimals], ROUND_HALF_UP)  # positional: keywords cost a parse per call
    except InvalidOperation:
        # More digits than the context's 28 (a ratio over a tiny denominator):
        # widen the precision for this one rounding instead of failing.
        if not value.is_finite():
            raise
        with localcontext() as context:
            context.prec = max(context.prec, value.adjusted() + decimals + 2)
            return value.quantize(_QUANTA[decimals], rounding=ROUND_HALF_UP)


@lru_cache(maxsize=8192)
def _fmt(value: Decimal, decimals: int) -> str:
    return f"{quantize(value, decimals):.{decimals}f}"


@lru_cache(maxsize=8192)
def _fmt_short(value: Decimal, decimals: int) -> str:
    text = _fmt(value, decimals)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# Audits format the same weights and scores thousands of times in a large case; the cache keeps that
# cheap. Zero is formatted uncached: −0 and 0 are equal keys but print differently.


def fmt(value: Decimal, decimals: int = 2) -> str:
    """Format with exactly ``decimals`` places: ``fmt(Decimal('2.6')) == '2.60'``."""
    return _fmt(value, decimals) if value else f"{quantize(value, decimals):.{decimals}f}"


def fmt_short(value: Decimal, decimals: int = 2) -> str:
    """Format without trailing zeros (``2``, ``2.4``, ``1.92``), as weights are written."""
    if value:
        return _fmt_short(value, decimals)
    text = f"{quantize(value, decimals):.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_figure(value: Decimal, decimals: int = 2) -> str:
    """A figure as documents write it: counts bare (``3``), amounts with decimals (``5191.10``)."""
    if value == value.to_integral_value():
        return str(int(value))
    return fmt(value, decimals)


def fmt_pct(rate: Decimal, decimals: int = 2) -> str:
    """Format a fraction as a percentage: ``fmt_pct(Decimal('0.9591')) == '95.91%'``."""
    return f"{fmt_short(rate * HUNDRED, decimals)}%"


def pct_to_fraction(percent: Decimal, decimals: int = 2) -> Decimal:
    """Round a percentage the way it is printed, then return it as a fraction."""
    return quantize(percent, decimals) / HUNDRED


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """``numerator / denominator``, or ``None`` when the denominator is zero."""
    if denominator == 0:
        return None
    return numerator / denominator
