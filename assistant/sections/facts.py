"""The report parts written from the case's facts, with 【请评价人补充…】 where only the evaluator can write."""

from __future__ import annotations

import re
from collections import Counter

from assistant.draft_input import DraftInput
from assistant.models import Section
from assistant.render import cn_number, render_paragraphs
from assistant.sections.base import Builder, section


_NOTE = re.compile(r"[（(][^（）()]*(?:截至|截止|落款|注|备注|说明|数据)[^（）()]*[)）]")


def prose(text: str | None) -> str:
    """A case field as running text: the evaluator's parenthetical notes (「（数据截至…，报告落款…）」) dropped."""
    return _NOTE.sub("", text or "").strip()


def fact_section(data: DraftInput, part: str, title: str) -> Section:
    case, result = data.case, data.result
    context = {
        "part": part,
        "project": case.project,
        "funds": case.funds,
        "metrics": {metric.key: metric.value for metric in result.funds},
        "roots": [node.name for node in case.indicators],
        "levels": [{"name": cn_number(level), "count": count} for level, count in sorted(Counter(node.level for node in result.nodes).items())],
        "period": prose(case.project.period),
        "full_score": case.full_score,
        "bands": [band.name for band in case.grading.bands],
    }
    paragraphs, _ = render_paragraphs("template/report_basic.md.j2", context)
    return Section(name=part, title=title, paragraphs=paragraphs)


def _part(part: str) -> Builder:
    def build(data: DraftInput, title: str) -> list[Section]:
        return [fact_section(data, part, title)]

    return build


section("basic", "基本情况", precedent_kind="basic_info", cues=("基本情况", "项目概况"), outline=10)(_part("basic"))
section("work", "绩效评价工作开展情况", precedent_kind="method", cues=("评价工作", "工作开展"), outline=20)(_part("work"))
section("experience", "主要经验及做法", precedent_kind="experience", cues=("经验", "做法"), outline=50)(_part("experience"))
section("other", "其他需要说明的问题", precedent_kind="other", cues=("其他需要说明",), outline=80)(_part("other"))
