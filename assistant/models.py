"""A draft as data: sections of paragraphs of sentences, each sentence with its citations and figures.

The same model feeds the Markdown and Word exports, the JSON output and the API.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

class SourceRef(BaseModel):
    """A precedent passage a sentence reuses wording from."""

    doc_id: str
    title: str
    source: str = Field(description="源文件名")
    display: str = Field(description="《…》 六、（四） 第1段")
    chunk_id: str | None = None


class FigureRef(BaseModel):
    """A number in the text and the computed figure it stands for."""

    text: str = Field(description="正文中的写法，如 95.91%")
    start: int = Field(description="在句子中的起始位置")
    end: int
    key: str = Field(description="数字来源，如 node:项目过程/资金管理/预算执行率:score 或 funds:execution_rate")
    audit: str | None = Field(default=None, description="该数字的算式（来自评分模块）")
    label: str | None = Field(default=None, description="数字来源的中文名称，如 预算执行率、问题清单第8条·问题描述")


class Sentence(BaseModel):
    text: str
    citations: list[SourceRef] = Field(default_factory=list)
    figures: list[FigureRef] = Field(default_factory=list)


class Offer(BaseModel):
    """A precedent phrasing offered beside a paragraph: a suggestion for the evaluator, never part of the body."""

    text: str = Field(description="建议的措辞（原因或措施）")
    kind: Literal["cause", "measure"] = Field(description="cause：原因；measure：建议措施")
    citation: SourceRef | None = Field(default=None, description="出处（先例文档）")
    nature: str = Field(default="", description="所属问题的问题定性")
    finding_ids: list[str] = Field(default_factory=list, description="采纳后写入 cause 的问题清单行（序号）")
    field: str = Field(default="cause", description="采纳后写入的案例字段")


class Paragraph(BaseModel):
    sentences: list[Sentence]
    style: Literal["body", "heading", "list"] = "body"
    level: int = Field(default=0, description="标题层级（style=heading 时）：1 为“一、”，2 为“（一）”，3 为“1.”")
    offers: list[Offer] = Field(default_factory=list, description="供评价人选用的先例措辞（不属于正文）")

    @property
    def text(self) -> str:
        return "".join(sentence.text for sentence in self.sentences)


class Violation(BaseModel):
    """A number the scoring module did not compute."""

    text: str = Field(description="违规的数字写法，如 82.64")
    start: int = Field(description="在所在段落文本中的起始位置")
    end: int
    section: str | None = Field(default=None, description="所在章节（Section.name）")
    paragraph: int | None = Field(default=None, description="所在段落在章节中的序号（从 0 起）")
    reason: str = Field(description="中文说明")
    nearest: str | None = Field(default=None, description="最接近的合法数字及其来源")


class ClaimViolation(BaseModel):
    """A body sentence (or a name in it) that the case does not support."""

    text: str = Field(description="违规的名称或句子")
    section: str | None = None
    paragraph: int | None = None
    kind: Literal["name", "precedent", "untraced"] = Field(description="name：案例中没有的地名、机构名或文件名；precedent：照搬先例的句子")
    reason: str = Field(description="中文说明")


class ClaimTrace(BaseModel):
    """Where a body sentence's claim comes from."""

    section: str
    paragraph: int
    sentence: int
    source: Literal["case", "template", "norm", "placeholder", "accepted"] = Field(description="case：案例字段；template：模板衔接语；norm：规范性表述；placeholder：【请补充…】")


class GuardResult(BaseModel):
    ok: bool
    checked: int = Field(description="检查过的数字个数")
    violations: list[Violation] = Field(default_factory=list)
    claims_checked: int = Field(default=0, description="检查过的正文句子个数（事实核对）")
    claim_violations: list[ClaimViolation] = Field(default_factory=list, description="事实核对：案例中没有的名称、照搬先例的句子")
    missing: list[str] = Field(default_factory=list, description="起草所缺的输入（如 缺少问题清单，未核对事例）：有此项时不是“通过”")


class TableData(BaseModel):
    """A table to render as a real table (the scoring table)."""

    title: str
    header: list[str]
    rows: list[list[str]]
    bold_rows: list[int] = Field(default_factory=list)


class Section(BaseModel):
    name: str = Field(description="problems / suggestions / analysis / conclusion / 或报告其他章节")
    title: str = Field(description="章节标题，如 五、存在的问题及原因分析")
    paragraphs: list[Paragraph] = Field(default_factory=list)
    tables: list[TableData] = Field(default_factory=list)


class Draft(BaseModel):
    project: str
    section: str = Field(description="起草的章节（见 assistant.sections.SECTIONS），如 problems、report")
    backend: str = Field(description="template 或 llm:<模型名>")
    sections: list[Section]
    guard: GuardResult | None = None
    notes: list[str] = Field(default_factory=list, description="给评价人的提示，如 LLM 草稿未通过数字核对、已改用模板草稿")

    def citations(self) -> list[SourceRef]:
        """Every precedent the draft cites or offers wording from, once each, in order of first use."""
        seen: dict[tuple[str, str], SourceRef] = {}
        for section in self.sections:
            for paragraph in section.paragraphs:
                for sentence in paragraph.sentences:
                    for ref in sentence.citations:
                        seen.setdefault((ref.source, ref.display), ref)
                for offer in paragraph.offers:
                    if offer.citation is not None:
                        seen.setdefault((offer.citation.source, offer.citation.display), offer.citation)
        return list(seen.values())

    def figures(self) -> list[FigureRef]:
        """Every computed figure the draft's sentences carry, in reading order."""
        return [figure for section in self.sections for paragraph in section.paragraphs for sentence in paragraph.sentences for figure in sentence.figures]

    def markdown(self) -> str:
        """The draft as Markdown (headings with #, paragraphs separated by blank lines)."""
        out: list[str] = []
        for section in self.sections:
            out.append(f"## {section.title}")
            for paragraph in section.paragraphs:
                if paragraph.style == "heading":
                    out.append("#" * (1 + max(paragraph.level, 1)) + " " + paragraph.text)
                else:
                    out.append(paragraph.text)
                for offer in paragraph.offers:
                    label = "可选原因" if offer.kind == "cause" else "可选措施"
                    where = f"（出处：{offer.citation.display}）" if offer.citation else ""
                    out.append(f"> 【{label}，供参考，未写入正文】{offer.text}{where}")
            for table in section.tables:
                out.append(f"**{table.title}**")
                lines = ["| " + " | ".join(table.header) + " |", "|" + "---|" * len(table.header)]
                lines.extend("| " + " | ".join(cell.replace("|", "｜") for cell in row) + " |" for row in table.rows)
                out.append("\n".join(lines))
        return "\n\n".join(out) + "\n"
