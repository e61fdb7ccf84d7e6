"""Drafters: one interface, several back ends (template, llm), chosen by name."""

from assistant.drafters.base import DRAFTERS, Drafter, DraftEvent, register_drafter
from assistant.drafters import llm, template  # noqa: F401  (registration)

__all__ = ["DRAFTERS", "DraftEvent", "Drafter", "register_drafter"]
