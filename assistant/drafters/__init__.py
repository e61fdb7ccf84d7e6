"""Drafters: one interface, several back ends (template, llm), chosen by name.

This module is the built-in plugin that registers them through the ``register_drafters`` hook.
"""

from typing import Any

from assistant.drafters import llm, template  # noqa: F401  (declaration)
from assistant.drafters.base import BUILTIN_DRAFTERS, DRAFTERS, Drafter, DrafterSpec, DraftEvent, drafter
from core.plugins import hookimpl


@hookimpl
def register_drafters(register: Any) -> None:
    for spec in BUILTIN_DRAFTERS:
        register(spec)


__all__ = ["DRAFTERS", "DraftEvent", "Drafter", "DrafterSpec", "drafter"]
