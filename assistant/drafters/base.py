"""The drafter contract: a section name and the draft input in, a Draft (or a stream of events) out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from assistant.models import Draft, SectionName
from assistant.sections import DraftInput


@dataclass
class DraftEvent:
    """One step of a streamed draft: text as it is written, a notice, or the finished draft."""

    type: Literal["delta", "notice", "draft"]
    text: str = ""
    draft: Draft | None = None


class Drafter(Protocol):
    name: str

    def draft(self, data: DraftInput, section: SectionName) -> Draft: ...

    def stream(self, data: DraftInput, section: SectionName) -> Iterator[DraftEvent]: ...


DrafterFactory = Callable[[Any], Drafter]
DRAFTERS: dict[str, DrafterFactory] = {}


def register_drafter(name: str) -> Callable[[DrafterFactory], DrafterFactory]:
    def decorator(factory: DrafterFactory) -> DrafterFactory:
        DRAFTERS[name] = factory
        return factory

    return decorator
