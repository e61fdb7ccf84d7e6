"""The whole report: every outline section in order, numbered 一、二、…, following 财预〔2020〕10号.

A table two parts would both show (the scoring table: 三、综合评价 and 四、指标分析) is kept where it
first appears; an unnumbered part (附件 问题清单) keeps its own title.
"""

from __future__ import annotations

from assistant.draft_input import DraftInput
from assistant.models import Section
from assistant.render import cn_number
from assistant.sections.base import outline, section


@section("report", "报告初稿", precedent_kind="problems", cues=("全文", "报告", "初稿", "整篇", "整份", "完整的报告"), composite=True)
def build(data: DraftInput, title: str) -> list[Section]:
    sections: list[Section] = []
    number = 0
    for spec in outline():
        if spec.numbered:
            number += 1
        sections.extend(spec.build(data, f"{cn_number(number)}、{spec.title}" if spec.numbered else spec.title))
    shown: set[str] = set()
    out = []
    for part in sections:
        tables = [table for table in part.tables if table.title not in shown]
        shown.update(table.title for table in part.tables)
        if part.paragraphs or tables:
            out.append(part.model_copy(update={"tables": tables}))
    return out
