"""The plugin hooks: one per registry. Built-ins implement them exactly as third parties do.

Each hook receives ``register``, a function taking one item; an item is the
registry's declaration type (named below), whose ``name`` is unique.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("jixiao")


@hookspec
def register_rules(register: Any) -> None:
    """Register scoring rule families: ``register(scoring.rules.RuleType(...))``."""


@hookspec
def register_loaders(register: Any) -> None:
    """Register document loaders: ``register(retrieval.loaders.LoaderSpec(name, extensions, load))``."""


@hookspec
def register_embedders(register: Any) -> None:
    """Register embedding models: ``register(retrieval.embedders.EmbedderSpec(name, factory))``."""


@hookspec
def register_drafters(register: Any) -> None:
    """Register drafting back ends: ``register(assistant.drafters.DrafterSpec(name, factory))``."""


@hookspec
def register_sections(register: Any) -> None:
    """Register report sections: ``register(assistant.sections.SectionSpec(...))``."""


@hookspec
def register_report_checks(register: Any) -> None:
    """Register report checks: ``register(checker.checks.ReportCheck(name, run, ...))``."""


@hookspec
def register_sheet_kinds(register: Any) -> None:
    """Register working-paper sheet kinds: ``register(scoring.workpapers.SheetKind(name, label, columns, read, ...))``."""


@hookspec
def register_intents(register: Any) -> None:
    """Register chat capabilities: ``register(workspace.chat.IntentSpec(name, label, handle, cues, ...))``."""
