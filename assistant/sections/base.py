"""What a report section is: one declaration from which every list of sections is derived.

The CLI's section argument and its help, the API's allowed values, the chat's
cues, the LLM prompt's title and precedent kind, the export file names and the
whole-report outline all read :data:`SECTIONS`. A built-in section is declared
with :func:`section` on its builder; a plugin registers a :class:`SectionSpec`
through the ``register_sections`` hook. Adding a section is adding one
declaration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from assistant.draft_input import DraftInput
from assistant.models import Section
from core.plugins import Registry

Builder = Callable[[DraftInput, str], list[Section]]
"""Builds a section's text from the draft input under the given title."""


@dataclass(frozen=True)
class SectionSpec:
    """One report section."""

    name: str  # stable identifier: CLI argument, API value, Section.name
    title: str  # Chinese title without its outline number: 存在的问题及原因分析
    build: Builder
    precedent_kind: str = "other"  # the retrieval section kind whose passages suit it
    cues: tuple[str, ...] = ()  # words in a chat message that ask for it
    file_label: str = ""  # the export file name part (defaults to the title)
    outline: int | None = None  # position in the whole report (一、二、…), or None if not a part of it
    composite: bool = False  # built from other sections (the whole report)
    numbered: bool = True  # numbered 一、二、… in the whole report (an 附件 is not)

    @property
    def label(self) -> str:
        return self.file_label or self.title


#: The built-in sections, declared by :func:`section` in their modules.
BUILTIN_SECTIONS: list[SectionSpec] = []

#: Every section by name: the built-ins and those of installed plugins.
SECTIONS: Registry[SectionSpec] = Registry("register_sections", "章节", builtins=("assistant.sections",))


def section(
    name: str,
    title: str,
    *,
    precedent_kind: str = "other",
    cues: tuple[str, ...] = (),
    file_label: str = "",
    outline: int | None = None,
    composite: bool = False,
    numbered: bool = True,
) -> Callable[[Builder], Builder]:
    """Declare the decorated builder as the built-in section ``name``."""

    def decorator(build: Builder) -> Builder:
        BUILTIN_SECTIONS.append(
            SectionSpec(name=name, title=title, build=build, precedent_kind=precedent_kind, cues=cues, file_label=file_label, outline=outline, composite=composite, numbered=numbered)
        )
        return build

    return decorator


def outline() -> list[SectionSpec]:
    """The parts of a whole report, in order."""
    return sorted((spec for spec in SECTIONS.values() if spec.outline is not None and not spec.composite), key=lambda spec: spec.outline or 0)


def section_for_message(message: str, default: str = "problems") -> str:
    """The section a chat message asks for: the longest cue found wins; ties go to the earlier-declared section."""
    best, best_length = default, 0
    for spec in SECTIONS.values():
        for cue in spec.cues:
            if cue in message and len(cue) > best_length:
                best, best_length = spec.name, len(cue)
    return best


def choices_help() -> str:
    """``problems（存在的问题及原因分析）、…`` for the CLI and the API docs."""
    return "、".join(f"{spec.name}（{spec.title}）" for spec in SECTIONS.values())
