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


class Paragraph(BaseModel):
    sentences: list[Sentence]
    style: Literal["body", "heading", "list"] = "body"
    level: int = Field(default=0, description="标题层级（style=heading 时）：1 为“一、”，2 为“（一）”，3 为“1.”")

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


class GuardResult(BaseModel):
    ok: bool
    checked: int = Field(description="检查过的数字个数")
    violations: list[Violation] = Field(default_factory=list)
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
        """Every precedent the draft cites, once each, in order of first use."""
        seen: dict[tuple[str, str], SourceRef] = {}
        for section in self.sections:
            for paragraph in section.paragraphs:
                for sentence in paragraph.sentences:
                    for ref in sentence.citations:
                        seen.setdefault((ref.source, ref.display), ref)
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
                    out.append("#" * (2 + paragraph.level) + " " + paragraph.text)
                else:
                    out.append(paragraph.text)
            for table in section.tables:
                out.append(f"**{table.title}**")
                lines = ["| " + " | ".join(table.header) + " |", "|" + "---|" * len(table.header)]
                lines.extend("| " + " | ".join(cell.replace("|", "｜") for cell in row) + " |" for row in table.rows)
                out.append("\n".join(lines))
        return "\n\n".join(out) + "\n"
