"""Rule families. Importing this package registers the built-in ones."""

from scoring.rules import judgment, levels, missing, per_finding, ratio, targets  # noqa: F401  (registration)
from scoring.rules import composite, lateness, tiered, upper_bound  # noqa: F401  (registration; composite reads the others)
from scoring.rules.base import REGISTRY, RuleContext, RuleOutcome, RuleParams, RuleType, register_rule

__all__ = ["REGISTRY", "RuleContext", "RuleOutcome", "RuleParams", "RuleType", "register_rule"]
