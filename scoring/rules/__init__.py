"""Rule families. This module is the built-in plugin that registers them through the ``register_rules`` hook."""

from typing import Any

from core.plugins import Registry, hookimpl
from scoring.rules import judgment, levels, missing, per_finding, ratio, targets  # noqa: F401  (declaration)
from scoring.rules.base import BUILTIN_RULES, RuleContext, RuleOutcome, RuleParams, RuleType, register_rule


@hookimpl
def register_rules(register: Any) -> None:
    for rule in BUILTIN_RULES:
        register(rule)


#: Every rule family by name: the built-ins and those of installed plugins.
REGISTRY: Registry[RuleType] = Registry("register_rules", "评分规则", builtins=("scoring.rules",))

__all__ = ["REGISTRY", "RuleContext", "RuleOutcome", "RuleParams", "RuleType", "register_rule"]
