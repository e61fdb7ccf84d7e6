"""附件 问题清单: the case's findings as a table, in the order the problems section cites them.

One row per finding: unit, project, 问题定性, 具体问题, the leaves it is counted under, the amount. The
descriptions stay in the case (工作底稿); the problems section quotes the strongest in full.
"""

from __future__ import annotations

from assistant.draft_input import DraftInput
from assistant.models import Section, TableData
from assistant.problems import short_name
from assistant.sections.base import section
from scoring.numbers import fmt


def findings_table(data: DraftInput) -> TableData:
    """Every finding, grouped by problem (most serious first), with its amount where the case gives one."""
    rows: list[list[str]] = []
    for problem in data.problems:
        for finding in problem.findings:
            rows.append([
                str(len(rows) + 1),
                finding.unit or "",
                short_name(finding.project) if finding.project else "",
                finding.nature,
                finding.issue or "",
                "、".join(finding.indicators),
                fmt(finding.amount) if finding.amount is not None else "",
                "未计扣分" if finding.waived else "",
            ])
    return TableData(title="问题清单", header=["序号", "项目单位", "项目", "问题定性", "具体问题", "扣分指标", "涉及金额（万元）", "备注"], rows=rows)


@section("annex", "附件：问题清单", precedent_kind="other", cues=("问题清单", "附件"), file_label="问题清单", outline=90, numbered=False)
def build(data: DraftInput, title: str) -> list[Section]:
    if not data.case.findings:
        from assistant.render import parse_paragraphs

        return [Section(name="annex", title=title, paragraphs=parse_paragraphs("【案例没有问题清单，请评价人补充。】", []))]
    return [Section(name="annex", title=title, tables=[findings_table(data)])]
