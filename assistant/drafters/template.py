"""The default drafter: no model, jinja2 templates around computed figures and cited precedent wording."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from assistant.drafters.base import DraftEvent, register_drafter
from assistant.models import Draft, SectionName
from assistant.sections import BUILDERS, DraftInput
from assistant.verify import verify


class TemplateDrafter:
    name = "template"

    def draft(self, data: DraftInput, section: SectionName) -> Draft:
        draft = Draft(project=data.case.project.name, section=section, backend=self.name, sections=BUILDERS[section](data))
        return verify(draft, data)

    def stream(self, data: DraftInput, section: SectionName) -> Iterator[DraftEvent]:
        draft = self.draft(data, section)
        for block in draft.markdown().split("\n\n"):
            yield DraftEvent(type="delta", text=block + "\n\n")
        yield DraftEvent(type="draft", draft=draft)


@register_drafter("template")
def _template(settings: Any) -> TemplateDrafter:
    return TemplateDrafter()
