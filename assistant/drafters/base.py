"""The drafter contract: a section name and the draft input in, a Draft (or a stream of events) out.

A back end is a :class:`DrafterSpec` (name and a factory taking the settings),
declared by :func:`drafter` for the built-ins and registered through the
``register_drafters`` hook by plugins — the test suite registers its fake chat
model that way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

from assistant.draft_input import DraftInput
from assistant.models import Draft
from core.plugins import Registry
from core.settings import Settings


@dataclass
class DraftEvent:
    """One step of a streamed draft: text as it is written, a notice, or the finished draft."""

    type: Literal["delta", "notice", "draft"]
    text: str = ""
    draft: Draft | None = None


class Drafter(Protocol):
    name: str

    def draft(self, data: DraftInput, section: str) -> Draft: ...

    def stream(self, data: DraftInput, section: str) -> Iterator[DraftEvent]: ...


DrafterFactory = Callable[[Settings], Drafter]


@dataclass(frozen=True)
class DrafterSpec:
    """One drafting back end: ``factory(settings)`` makes it, raising ValueError with a Chinese reason if it cannot."""

    name: str
    label: str
    factory: DrafterFactory


#: The built-in back ends, declared by :func:`drafter` in their modules.
BUILTIN_DRAFTERS: list[DrafterSpec] = []

#: Every back end by name: the built-ins and those of installed plugins.
DRAFTERS: Registry[DrafterSpec] = Registry("register_drafters", "起草方式", builtins=("assistant.drafters",))


def drafter(name: str, label: str) -> Callable[[DrafterFactory], DrafterFactory]:
    """Declare the decorated factory as the built-in back end ``name``."""

    def decorator(factory: DrafterFactory) -> DrafterFactory:
        BUILTIN_DRAFTERS.append(DrafterSpec(name=name, label=label, factory=factory))
        return factory

    return decorator
