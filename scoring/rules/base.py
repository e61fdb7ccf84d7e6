"""The contract every rule family implements, and the registry that names them.

A rule family is one module in this package: a pydantic model of its
parameters (with a literal ``type``) and a pure function that turns those
parameters and a :class:`RuleContext` into a :class:`RuleOutcome`. Adding a
family means adding a module and decorating its function with
:func:`register_rule`; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, Protocol

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from core.plugins import Registry
from scoring.numbers import ZERO, to_decimal

FUND_REF_PREFIX = "funds."


def _number_or_ref(value: Any) -> Decimal | str:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith(FUND_REF_PREFIX):
            return text
        text = text.rstrip("%％").replace(",", "")
        return to_decimal(text)
    if isinstance(value, bool):
        raise ValueError("应为数字，不能是布尔值")
    return to_decimal(value)


#: A number, or a reference to a computed fund figure such as ``funds.spent``.
NumberOrRef = Annotated[Decimal | str, BeforeValidator(_number_or_ref)]


class RuleParams(BaseModel):
    """Base of every rule's parameters; unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str | None = Field(default=None, description="评价标准原文（规则由此读出时保留）")

    if TYPE_CHECKING:  # every family declares its own ``type: Literal[...]`` field
        type: str

    @property
    def weighted(self) -> bool:
        """Whether the rule reads each attached finding's 问题定性 or severity (else it only counts them)."""
        return False


class FindingLike(Protocol):
    """What a rule may read of a finding (the case model's ``Finding``; rules do not import the case model)."""

    @property
    def nature(self) -> str: ...

    @property
    def severity(self) -> str | None: ...

    @property
    def waived(self) -> str | None: ...


_NO_FUNDS: Mapping[str, Decimal | None] = MappingProxyType({})


class RuleContext(NamedTuple):
    """What a rule may know about the leaf it scores (a tuple: 10,000 leaves build 10,000 of these)."""

    weight: Decimal
    findings_count: int = 0
    fund_figures: Mapping[str, Decimal | None] = _NO_FUNDS
    decimals: int = 2
    #: The findings attached to the leaf, waived ones included; the engine fills it for rules that read
    #: their 问题定性 and severity (``weighted``), and leaves it empty for the rest, which only count.
    findings: Sequence[FindingLike] = ()
    #: Findings listed under the leaf but not deducted (``waived``), shown in audits.
    waived_count: int = 0

    @property
    def finding_kinds(self) -> list[tuple[str, str | None]]:
        """(问题定性, severity) of every counted finding, in order."""
        return [(f.nature, f.severity) for f in self.findings if f.waived is None]

    def resolve(self, value: Decimal | str | None) -> Decimal | None:
        """Return a number, looking ``funds.*`` references up in the fund figures."""
        if value is None or isinstance(value, Decimal):
            return value
        key = value.removeprefix(FUND_REF_PREFIX)
        if key not in self.fund_figures:
            known = "、".join(sorted(self.fund_figures)) or "无"
            raise KeyError(f"未知的资金引用 {value}（可用：{known}）")
        return self.fund_figures[key]


Audit = str | Callable[[], str]


class RuleOutcome:
    """A leaf's score before rounding (already capped at its weight and floored at 0), and its audit.

    ``audit`` may be given as the text or as a function of no arguments that writes it: the built-in rules
    give ``functools.partial(_audit, …the figures…)`` so that the text is formatted only when someone
    reads :attr:`audit` (a large case scores 10,000 leaves, and most callers read a few audits or none; a
    partial allocates less than a closure, which the garbage collector would scan). ``explain`` is the
    audit as given, for the engine to hand on unread. Treat an outcome as read-only.
    """

    __slots__ = ("score", "explain", "reason", "missing_value")

    def __init__(self, score: Decimal, audit: Audit, reason: str | None = None, missing_value: bool = False) -> None:
        self.score = score
        self.explain = audit
        self.reason = reason
        self.missing_value = missing_value

    @property
    def audit(self) -> str:
        """The rule's arithmetic with the numbers put in (written on first read)."""
        text = self.explain
        if not isinstance(text, str):
            text = self.explain = text()
        return text

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RuleOutcome):
            return NotImplemented
        return (self.score, self.audit, self.reason, self.missing_value) == (other.score, other.audit, other.reason, other.missing_value)

    def __hash__(self) -> int:
        return hash((self.score, self.audit, self.reason, self.missing_value))

    def __repr__(self) -> str:
        return f"RuleOutcome(score={self.score!r}, audit={self.audit!r}, reason={self.reason!r}, missing_value={self.missing_value!r})"


def clamp(score: Decimal, weight: Decimal) -> Decimal:
    """Floor at 0 (扣完为止) and cap at the weight (得分不超过分值).

    ``min(max(score, 0), weight)`` written out (every leaf calls it): the same object comes back as from
    min and max, which keep the first argument on a tie.
    """
    if score < ZERO:
        score = ZERO
    return weight if weight < score else score


RuleFunction = Callable[[Any, RuleContext], RuleOutcome]


@dataclass(frozen=True)
class RuleType:
    """One rule family: what a plugin registers through the ``register_rules`` hook."""

    name: str
    label: str
    params: type[RuleParams]
    apply: RuleFunction
    #: Wording of a 评价标准 cell this family reads (``jixiao rules`` prints them; the rule-text parser is tested on them).
    examples: tuple[str, ...] = ()


#: The built-in families, declared by :func:`register_rule` in their modules and
#: registered through the ``register_rules`` hook by :mod:`scoring.rules`.
BUILTIN_RULES: list[RuleType] = []

#: Every rule family by name: the built-ins and those of installed plugins.
REGISTRY: Registry[RuleType] = Registry("register_rules", "评分规则", builtins=("scoring.rules",))


def register_rule(
    name: str, label: str, params: type[RuleParams], *, examples: tuple[str, ...] = ()
) -> Callable[[RuleFunction], RuleFunction]:
    """Declare ``apply`` as the built-in rule family ``name`` (shown to users as ``label``), with example wording."""

    def decorator(apply: RuleFunction) -> RuleFunction:
        BUILTIN_RULES.append(RuleType(name=name, label=label, params=params, apply=apply, examples=tuple(examples)))
        return apply

    return decorator


MISSING_AUDIT = "无法提供具体数值，且无说明，得 0 分"


def weight_share(weight: Decimal, percent: Decimal) -> Decimal:
    """``percent`` % of the weight (tiers and penalties written as 得分值的 80%)."""
    return weight * percent / Decimal(100)
