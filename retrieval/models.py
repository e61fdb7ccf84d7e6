"""Documents, blocks, chunks and hits: the data that flows from a file to a cited search result."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DocumentKind = Literal["report", "policy"]
BlockKind = Literal["heading", "paragraph", "table_row"]
SectionKind = Literal[
    "basic_info",
    "method",
    "conclusion",
    "indicator_analysis",
    "experience",
    "problems",
    "causes",
    "suggestions",
    "scoring_table",
    "findings_list",
    "other",
]
SECTION_KINDS: tuple[str, ...] = SectionKind.__args__  # type: ignore[attr-defined]

#: What users read for each section kind (CLI, page).
SECTION_KIND_NAMES: dict[str, str] = {
    "basic_info": "基本情况",
    "method": "评价工作",
    "conclusion": "评价结论",
    "indicator_analysis": "指标分析",
    "experience": "经验做法",
    "problems": "存在问题",
    "causes": "原因分析",
    "suggestions": "建议",
    "scoring_table": "评分表",
    "findings_list": "问题清单",
    "other": "其他",
}


class DocumentMeta(BaseModel):
    """What we know about one source document."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str = Field(description="稳定的文档编号：文件名（不含扩展名）")
    title: str
    source: str = Field(description="源文件名，如 004_14a084a959548111.txt")
    kind: DocumentKind = "report"
    project: str | None = None
    year: int | None = None
    region: str | None = None
    evaluator: str | None = Field(default=None, description="评价机构（第三方评价时）")
    report_kind: str | None = Field(default=None, description="报告类型：第三方评价、自评或部门整体")


class Block(BaseModel):
    """A heading, a paragraph or one table row, located in the document's text."""

    model_config = ConfigDict(extra="forbid")

    text: str
    kind: BlockKind
    level: int | None = Field(default=None, description="标题层级（docx 标题样式或 Markdown #），未知为空")
    page: int | None = Field(default=None, description="页码（PDF），从 1 起")
    start: int = Field(ge=0, description="在全文中的起始字符位置")
    end: int = Field(ge=0, description="在全文中的结束字符位置（不含）")


class LoadedDocument(BaseModel):
    """A file read into text and blocks; ``text[block.start:block.end] == block.text`` for every block."""

    meta: DocumentMeta
    text: str
    blocks: list[Block]


class Chunk(BaseModel):
    """The unit we index and cite: never crosses a section boundary."""

    model_config = ConfigDict(extra="forbid")

    chunk_id: str
    doc_id: str
    ordinal: int = Field(ge=0, description="文档内第几个块")
    text: str
    section_path: list[str] = Field(description="标题路径，如 ['六、主要问题', '（七）政府采购管理不规范']")
    section_kind: SectionKind
    paragraph: int = Field(ge=1, description="在所属小节中的第几段（用于“第3段”式引用）")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    page: int | None = None
    is_table: bool = False
