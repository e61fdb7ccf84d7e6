"""Report sections. This module is the built-in plugin that registers them through the ``register_sections`` hook.

Declaration order is the order users see them in (CLI help, the page, the chat's help card).
"""

from typing import Any

from assistant.sections import problems, suggestions, analysis, conclusion, facts, annex, report  # noqa: F401  (declaration)
from assistant.sections.base import BUILTIN_SECTIONS, SECTIONS, SectionSpec, choices_help, outline, section, section_for_message
from assistant.sections.analysis import scoring_table
from assistant.sections.problems import problems_section
from core.plugins import hookimpl


@hookimpl
def register_sections(register: Any) -> None:
    for spec in BUILTIN_SECTIONS:
        register(spec)


__all__ = ["SECTIONS", "SectionSpec", "choices_help", "outline", "problems_section", "scoring_table", "section", "section_for_message"]
