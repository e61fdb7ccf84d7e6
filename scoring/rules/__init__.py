"""Rule families. This module is the built-in plugin that registers them through the ``register_rules`` hook."""

from typing import Any

from core.plugins import hookimpl
from scoring.rules import judgment, levels, missing, per_finding, ratio, targets  # noqa: F401  (declaration)
from scoring.rules import composite, lateness, tiered, upper_bound  # noqa: F401  (declaration; composite reads the others)
from scoring.rules.base import BUILTIN_RULES, REGISTRY, RuleContext, RuleOutcome, RuleParams, RuleType, register_rule


@hookimpl
def register_rules(register: Any) -> None:
    for rule in BUILTIN_RULES:
        register(rule)

__all__ = ["REGISTRY", "RuleContext", "RuleOutcome", "RuleParams", "RuleType", "register_rule"]
