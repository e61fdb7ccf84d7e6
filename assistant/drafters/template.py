"""The default drafter: no model, jinja2 templates around computed figures and cited precedent wording."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.draft_input import DraftInput
from assistant.drafters.base import DraftEvent, drafter
from assistant.models import Draft
from assistant.sections import SECTIONS
from assistant.verify import verify
from core.settings import Settings


class TemplateDrafter:
    name = "template"

    def draft(self, data: DraftInput, section: str) -> Draft:
        spec = SECTIONS[section]
        draft = Draft(project=data.case.project.name, section=section, backend=self.name, sections=spec.build(data, spec.title))
        return verify(draft, data)

    def stream(self, data: DraftInput, section: str) -> Iterator[DraftEvent]:
        draft = self.draft(data, section)
        for block in draft.markdown().split("\n\n"):
            yield DraftEvent(type="delta", text=block + "\n\n")
        yield DraftEvent(type="draft", draft=draft)


@drafter("template", "模板（离线，无需模型）")
def _template(settings: Settings) -> TemplateDrafter:
    return TemplateDrafter()
