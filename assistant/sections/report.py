"""The whole report: every outline section in order, numbered 一、二、…, following 财预〔2020〕10号."""

from __future__ import annotations

from assistant.draft_input import DraftInput
from assistant.models import Section
from assistant.render import cn_number
from assistant.sections.base import outline, section


@section("report", "报告初稿", precedent_kind="problems", cues=("全文", "报告", "初稿", "整篇", "整份", "完整的报告"), composite=True)
def build(data: DraftInput, title: str) -> list[Section]:
    sections: list[Section] = []
    for number, spec in enumerate(outline(), start=1):
        sections.extend(spec.build(data, f"{cn_number(number)}、{spec.title}"))
    return sections
