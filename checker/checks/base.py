"""What a report check is, the registry that collects them, and the helpers every check shares.

A report check is a function ``(facts) -> findings`` declared once with
:func:`report_check`; the built-ins are registered through the
``register_report_checks`` plugin hook like any third party's, so adding a
check takes one declaration and no edit elsewhere::

    from core.plugins import hookimpl
    from checker.checks import ReportCheck

    @hookimpl
    def register_report_checks(register):
        register(ReportCheck("my_check", "我的核对项", my_run))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from decimal import ROUND_DOWN, Decimal

from checker.facts import ReportFacts
from checker.findings import Finding, Place
from core.plugins import Registry
from scoring.numbers import fmt_short, quantize
from scoring.results import Severity

RunCheck = Callable[[ReportFacts], Iterable[Finding]]

#: The names a check may declare in ``reads``.
FACT_FIELDS = frozenset(field.name for field in fields(ReportFacts))

#: Checks without an explicit ``order`` run after the built-ins, in registration order.
DEFAULT_ORDER = 1000


@dataclass(frozen=True)
class ReportCheck:
    """One report check: a unique ``name``, a Chinese ``title`` and ``run``, which only reads the facts.

    ``order`` places its findings among those of other checks with the same
    severity and line (the final list is sorted by severity, then line).
    ``reads`` declares the :class:`ReportFacts` fields ``run`` reads (the
    tests run each built-in on facts that expose only those).
    """

    name: str
    title: str
    run: RunCheck
    order: int = DEFAULT_ORDER
    reads: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.reads) - FACT_FIELDS)
        if unknown:
            raise ValueError(f"报告核对项“{self.name}”声明了未知的输入：{'、'.join(unknown)}（可用：{'、'.join(sorted(FACT_FIELDS))}）")


#: The built-in checks, declared by :func:`report_check` in the family modules.
BUILTIN_REPORT_CHECKS: list[ReportCheck] = []

#: Every report check by name: the built-ins and those of installed plugins.
REPORT_CHECKS: Registry[ReportCheck] = Registry("register_report_checks", "报告核对项", builtins=("checker.checks",))


def report_check(name: str, *, title: str, reads: tuple[str, ...], order: int = DEFAULT_ORDER) -> Callable[[RunCheck], RunCheck]:
    """Declare the decorated function as the built-in report check ``name`` reading the facts ``reads``."""

    def decorator(run: RunCheck) -> RunCheck:
        BUILTIN_REPORT_CHECKS.append(ReportCheck(name=name, title=title, run=run, order=order, reads=reads))
        return run

    return decorator


def ordered_checks() -> list[ReportCheck]:
    """The registered checks in the order they run."""
    checks = REPORT_CHECKS.values()
    return sorted(checks, key=lambda check: (check.order, checks.index(check)))


def finding(
    kind: str,
    severity: Severity,
    places: Iterable[Place],
    explanation: str,
    stated: Decimal | int | str | None = None,
    recomputed: Decimal | int | str | None = None,
) -> Finding:
    """A finding with its places in order and without repeats."""
    unique: list[Place] = []
    for place in places:
        if place not in unique:
            unique.append(place)
    return Finding.model_validate(
        {"kind": kind, "severity": severity, "places": unique, "stated": stated, "recomputed": recomputed, "explanation": explanation}
    )


# ── number formatting shared by the explanations ─────────────────────────────


def q(value: Decimal, places: int = 2) -> Decimal:
    return quantize(value, places)


def s(value: Decimal | None) -> str:
    return "—" if value is None else fmt_short(value, 4)


def pct(value: Decimal, places: int) -> str:
    return f"{q(value, places):.{places}f}%"


def places_of(value: Decimal) -> int:
    """The number of decimals ``value`` is written with."""
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def truncated(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)
