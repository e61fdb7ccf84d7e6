"""Cut a loaded document into chunks that never cross a section, each with its heading path and section kind.

Headings are the loader's heading blocks (Markdown ``#``, docx heading styles)
plus short numbered lines: 一、 > （一） > 1. > （1）, with 附件1/附件2 at the
top. A numbered line is a heading only if it is short and does not end like a
sentence, so "1.立项依据充分性：……该指标得2分，满分。" stays a paragraph.

Each section's kind comes from keywords in its heading (:data:`SECTION_RULES`),
inherited by the headings below it; a deeper heading may override the kind
only as :data:`ALLOWED_OVERRIDES` permits (``（二）原因分析`` under a problems
section becomes ``causes``; ``（四）强化资金管理`` under suggestions stays
``suggestions``). A table whose header names score columns (分值/得分/权重) is a
``scoring_table``; one with 问题定性/问题描述 columns is a ``findings_list``.

Chunk text and offsets: ``chunk.text`` is the body text of
``doc.text[chunk.start:chunk.end]`` with export debris (``[bookmark: …]``,
``[footnoteRef:n]``, HTML tags, rule lines) removed, each line trimmed, and
table rows rewritten one per line with their cells joined by TAB. So the span
*contains* the chunk's text after debris removal, modulo whitespace and table
layout; for a plain-text file, removing all whitespace from both sides makes
them equal. Heading text is never part of a chunk; it is in ``section_path``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import get_args

from retrieval.loaders.base import debris_spans, is_rule_line
from retrieval.models import Block, Chunk, LoadedDocument, SectionKind

# ---- heading numbering ------------------------------------------------------


@dataclass(frozen=True)
class Numbering:
    """A Chinese numbering style: its pattern, its rank (1 = top) and how long a heading using it may be."""

    label: str
    pattern: re.Pattern[str]
    rank: int
    max_chars: int
    # "1.资金来源：财政拨款1961万元" is a list item, not a heading.
    colon_content_ok: bool = True


NUMBERINGS: tuple[Numbering, ...] = (
    Numbering("附件1", re.compile(r"^附件\s*[0-9一二三四五六七八九十]*\s*(?:[：:、.．\s]|$)"), 1, 40),
    Numbering("一、", re.compile(r"^[一二三四五六七八九十]{1,3}\s*[、．.]"), 1, 40),
    Numbering("（一）", re.compile(r"^[（(]\s*[一二三四五六七八九十]{1,3}\s*[）)]"), 2, 40),
    Numbering("1.", re.compile(r"^\d{1,2}\s*[、．.](?!\d)"), 3, 30, colon_content_ok=False),
    Numbering("（1）", re.compile(r"^[（(]\s*\d{1,2}\s*[）)]"), 4, 30, colon_content_ok=False),
)

_BULLET = re.compile(r"^[•·●▪■◆]\s*")
_SENTENCE_TAIL = ("。", "；", ";", "，", ",")
_COLON_CONTENT = re.compile(r"[：:]\s*\S")


def numbering_of(text: str) -> Numbering | None:
    """The numbering style ``text`` starts with, if any."""
    stripped = _BULLET.sub("", text.strip())
    return next((n for n in NUMBERINGS if n.pattern.match(stripped)), None)


def numbered_heading_rank(text: str) -> int | None:
    """Rank of a numbered line that reads as a heading; ``None`` for a paragraph or list item."""
    stripped = _BULLET.sub("", text.strip())
    numbering = numbering_of(stripped)
    if numbering is None or "\n" in stripped or len(stripped) > numbering.max_chars:
        return None
    if stripped.endswith(_SENTENCE_TAIL):
        return None
    if not numbering.colon_content_ok and _COLON_CONTENT.search(stripped):
        return None
    return numbering.rank


# ---- section kinds ----------------------------------------------------------


@dataclass(frozen=True)
class SectionRule:
    """Headings containing any of ``keywords`` are sections of ``kind``; earlier rules win."""

    kind: SectionKind
    keywords: tuple[str, ...]


SECTION_RULES: tuple[SectionRule, ...] = (
    SectionRule("findings_list", ("问题清单", "问题台账", "问题汇总表")),
    SectionRule("scoring_table", ("评分表", "评分情况表", "得分情况表", "评分明细", "自评表", "附件1")),
    # Before experience: "三、项目主要绩效及评价结论" is a conclusion, "五、主要绩效" is experience.
    SectionRule("conclusion", ("综合评价", "评价结论", "评分结果", "主要结论", "总体评价")),
    # Before problems: "五、主要经验及做法、存在的问题" opens with experience; its
    # "（二）存在的问题" child may still switch to problems.
    SectionRule("experience", ("经验", "做法", "主要绩效", "成效")),
    # Before causes: "六、存在问题及原因分析" is about the problems.
    SectionRule("problems", ("存在的问题", "存在问题", "主要问题", "问题及原因", "问题和原因", "问题与原因", "发现的问题")),
    SectionRule("causes", ("原因分析", "原因")),
    SectionRule("suggestions", ("建议", "对策", "改进措施", "整改措施", "改进意见")),
    SectionRule("method", ("评价工作", "评价方法", "评分方法", "评分规则", "指标体系", "评价过程", "评价原则", "评价标准", "评价目的",
                           "评价对象", "评价范围", "评价组织", "工作过程")),
    SectionRule("indicator_analysis", ("指标分析", "类指标", "决策情况", "过程情况", "产出情况", "效益情况",
                                       "决策指标", "过程指标", "产出指标", "效益指标")),
    SectionRule("basic_info", ("基本情况", "项目概况", "项目背景", "立项背景", "项目内容", "建设内容", "主要内容",
                               "资金", "绩效目标")),
)

_ALL_KINDS: frozenset[SectionKind] = frozenset(get_args(SectionKind))
_TABLES: frozenset[SectionKind] = frozenset({"scoring_table", "findings_list"})

#: Which kinds a heading may switch to, given the kind of the section it sits in.
#: Without this, "（四）部分项目资金拨付不及时" under 存在问题 would become basic_info.
ALLOWED_OVERRIDES: Mapping[SectionKind, frozenset[SectionKind]] = {
    "other": _ALL_KINDS,
    "basic_info": frozenset({"basic_info"}) | _TABLES,
    "method": frozenset({"method"}) | _TABLES,
    "conclusion": frozenset({"conclusion"}) | _TABLES,
    "indicator_analysis": frozenset({"indicator_analysis"}) | _TABLES,
    "experience": frozenset({"experience", "problems", "causes", "suggestions"}),
    "problems": frozenset({"problems", "causes", "suggestions", "findings_list"}),
    "causes": frozenset({"causes", "problems", "suggestions"}),
    "suggestions": frozenset({"suggestions"}),
    "scoring_table": _TABLES,
    "findings_list": frozenset({"findings_list"}),
}

#: A table row with a short cell naming one of these columns starts a table of that kind.
TABLE_HEADER_RULES: tuple[SectionRule, ...] = (
    SectionRule("findings_list", ("问题定性", "问题描述", "具体问题", "问题类型")),
    SectionRule("scoring_table", ("分值", "得分", "权重", "自评分", "评分")),
)
#: A table row naming the whole form (003: "……绩效自评表") starts a table of that kind.
TABLE_TITLE_RULES: tuple[SectionRule, ...] = (
    SectionRule("findings_list", ("问题清单",)),
    SectionRule("scoring_table", ("评分表", "自评表", "评分情况表", "得分情况表")),
)
_HEADER_CELL_MAX = 12
_TITLE_CELL_MAX = 40
_ROW_LABEL_MAX = 20


def compact(text: str) -> str:
    """``text`` without any whitespace, for keyword matching and comparisons."""
    return "".join(text.split())


def classify_heading(title: str, parent: SectionKind = "other") -> SectionKind:
    """Section kind of a heading titled ``title`` inside a section of kind ``parent``."""
    key = compact(title)
    allowed = ALLOWED_OVERRIDES[parent]
    for rule in SECTION_RULES:
        if rule.kind in allowed and any(word in key for word in rule.keywords):
            return rule.kind
    return parent


def table_kind(cells: list[str]) -> SectionKind | None:
    """``scoring_table`` or ``findings_list`` if this row is the header or title row of such a table."""
    keys = [compact(cell) for cell in cells if cell.strip()]
    for rule in TABLE_HEADER_RULES:
        if any(len(key) <= _HEADER_CELL_MAX and any(word in key for word in rule.keywords) for key in keys):
            return rule.kind
    for rule in TABLE_TITLE_RULES:
        if any(len(key) <= _TITLE_CELL_MAX and any(word in key for word in rule.keywords) for key in keys):
            return rule.kind
    return None


# ---- cleaning ---------------------------------------------------------------


def clean_with_offsets(raw: str, base: int) -> tuple[str, list[int]]:
    """``raw`` without debris, lines trimmed and blank/rule lines dropped, with each kept character's offset."""
    keep = [True] * len(raw)
    for start, end in debris_spans(raw):
        keep[start:end] = [False] * (end - start)
    chars: list[str] = []
    offsets: list[int] = []
    line_start = 0
    for line in raw.split("\n"):
        positions = [line_start + i for i in range(len(line)) if keep[line_start + i]]
        line_start += len(line) + 1
        kept = "".join(raw[p] for p in positions)
        left, right = 0, len(kept)
        while left < right and kept[left].isspace():
            left += 1
        while right > left and kept[right - 1].isspace():
            right -= 1
        if left == right or is_rule_line(kept):
            continue
        if chars:
            chars.append("\n")
            offsets.append(base + positions[left])  # the separator stands at the next line's first character
        chars.extend(kept[left:right])
        offsets.extend(base + p for p in positions[left:right])
    return "".join(chars), offsets


_clean_with_offsets = clean_with_offsets  # the former private name


def clean_text(raw: str) -> str:
    """``raw`` without export debris, each line trimmed, blank and rule lines dropped."""
    return clean_with_offsets(raw, 0)[0]


_MD_ROW = re.compile(r"^\s*\|")
_CELL_START = re.compile(r"^[ \u3000]*\t")


def row_cells(raw: str) -> list[str]:
    """The cells of one table-row block, whichever way it was written.

    Markdown ``| a | b |``; TAB-separated on one line; or one cell per line,
    each line starting with a TAB, where a line without a TAB continues the
    cell above (a multi-line cell).
    """
    if raw.lstrip(" ").startswith("\t"):
        # Keep the TABs: a line holding only a TAB is an empty cell.
        lines = _strip_debris_keep_tabs(raw).split("\n")
        text = "\n".join(line for line in lines if line.strip(" \u3000\r") and not is_rule_line(line))
    else:
        text = clean_text(raw)
    if _MD_ROW.match(text):
        inner = text.strip().strip("|")
        return [cell.strip() for cell in inner.split("|")]
    lines = text.split("\n")
    if len(lines) == 1:
        return [cell.strip() for cell in lines[0].split("\t")]
    cells: list[str] = []
    for line in lines:
        if _CELL_START.match(line):
            cells.append(" ".join(line.split("\t", 1)[1].split()))
        elif cells:
            cells[-1] = f"{cells[-1]} {line.strip()}".strip()
        else:
            cells.append(line.strip())
    return cells


def _strip_debris_keep_tabs(raw: str) -> str:
    pieces, last = [], 0
    for start, end in debris_spans(raw):
        pieces.append(raw[last:start])
        last = end
    pieces.append(raw[last:])
    return "".join(pieces)


def render_row(cells: list[str]) -> str:
    """Cells joined by TAB, trailing empty cells dropped."""
    return "\t".join(cells).rstrip("\t ")


# ---- splitting long paragraphs -----------------------------------------------

_SENTENCE_END = frozenset("。；！？!?;")
_CLAUSE_END = frozenset("，、：,:")


def _last_boundary(text: str, low: int, high: int, marks: frozenset[str]) -> int | None:
    for i in range(high, low - 1, -1):
        if 0 < i <= len(text) and text[i - 1] in marks:
            return i
    return None


def _first_boundary(text: str, low: int, high: int, marks: frozenset[str]) -> int | None:
    for i in range(low + 1, high):
        if text[i - 1] in marks:
            return i
    return None


def split_spans(text: str, max_chars: int, overlap: int) -> list[tuple[int, int]]:
    """``[start, end)`` pieces of ``text``, each at most ``max_chars`` long, cut after sentence ends.

    Each piece after the first repeats up to ``overlap`` characters of the one
    before, starting at a clause boundary where there is one. A sentence longer
    than ``max_chars`` is cut at a comma, or hard at ``max_chars``.
    """
    spans: list[tuple[int, int]] = []
    pos, length = 0, len(text)
    while length - pos > max_chars:
        limit = pos + max_chars
        floor = pos + overlap + 1  # each piece must get past the text it repeats
        end = (
            _last_boundary(text, floor, limit, _SENTENCE_END)
            or _last_boundary(text, floor, limit, _CLAUSE_END)
            or limit
        )
        spans.append((pos, end))
        carried = end - overlap
        boundary = _first_boundary(text, carried, end, _SENTENCE_END | _CLAUSE_END)
        pos = boundary if boundary is not None else carried
    spans.append((pos, length))
    return spans


# ---- chunking ---------------------------------------------------------------


@dataclass
class _Section:
    title: str
    rank: int
    kind: SectionKind


@dataclass
class _Unit:
    """A paragraph, a piece of one, or a table row, ready to be packed."""

    text: str
    start: int
    end: int
    page: int | None
    paragraph: int
    is_table: bool
    kind: SectionKind


class _Packer:
    """Packs consecutive units of one section into chunks of at most ``max_chars``."""

    def __init__(self, doc_id: str, max_chars: int) -> None:
        self.doc_id = doc_id
        self.max_chars = max_chars
        self.chunks: list[Chunk] = []
        self.path: list[str] = []
        self._units: list[_Unit] = []
        self._size = 0

    def add(self, unit: _Unit) -> None:
        if self._units:
            head = self._units[0]
            fits = self._size + 1 + len(unit.text) <= self.max_chars
            if not fits or head.is_table != unit.is_table or head.kind != unit.kind:
                self.flush()
        self._size = self._size + 1 + len(unit.text) if self._units else len(unit.text)
        self._units.append(unit)

    def add_alone(self, unit: _Unit) -> None:
        self.flush()
        self.add(unit)
        self.flush()

    def flush(self) -> None:
        if not self._units:
            return
        first, last = self._units[0], self._units[-1]
        ordinal = len(self.chunks)
        self.chunks.append(
            Chunk(
                chunk_id=f"{self.doc_id}:{ordinal}",
                doc_id=self.doc_id,
                ordinal=ordinal,
                text="\n".join(unit.text for unit in self._units),
                section_path=list(self.path),
                section_kind=first.kind,
                paragraph=first.paragraph,
                start=first.start,
                end=last.end,
                page=first.page,
                is_table=first.is_table,
            )
        )
        self._units = []
        self._size = 0


def _level_offset(doc: LoadedDocument, title_key: str) -> int:
    """How much to subtract from explicit heading levels so the shallowest section heading is level 1."""
    levels = [
        block.level
        for block in doc.blocks
        if block.kind == "heading" and block.level is not None and compact(clean_text(block.text)) != title_key
    ]
    return min(levels) - 1 if levels else 0


class _Chunker:
    def __init__(self, doc: LoadedDocument, max_chars: int, overlap: int) -> None:
        self.doc = doc
        self.max_chars = max_chars
        self.overlap = overlap
        self.title_key = compact(doc.meta.title)
        self.level_offset = _level_offset(doc, self.title_key)
        self.packer = _Packer(doc.meta.doc_id, max_chars)
        self.stack: list[_Section] = []
        self.paragraph = 0
        self.in_table = False
        self.table_kind: SectionKind | None = None
        self.row_kind: SectionKind | None = None

    @property
    def section_kind(self) -> SectionKind:
        return self.stack[-1].kind if self.stack else "other"

    def run(self) -> list[Chunk]:
        for block in self.doc.blocks:
            if block.kind == "table_row":
                self._row(block)
            else:
                self._text_block(block)
        self.packer.flush()
        return self.packer.chunks

    def _text_block(self, block: Block) -> None:
        text, offsets = clean_with_offsets(block.text, block.start)
        if not text:
            return
        if not self.packer.chunks and compact(text) == self.title_key:
            return  # the document's own title line (on its cover) is neither a section nor body text
        rank = self._heading_rank(block, text)
        if rank is not None:
            self._heading(" ".join(_BULLET.sub("", text).split()), rank)
            return
        self.in_table = False
        self.paragraph += 1
        kind = self.section_kind
        if len(text) <= self.max_chars:
            self.packer.add(_Unit(text, offsets[0], offsets[-1] + 1, block.page, self.paragraph, False, kind))
            return
        for start, end in split_spans(text, self.max_chars, self.overlap):
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start < end:
                unit = _Unit(text[start:end], offsets[start], offsets[end - 1] + 1, block.page, self.paragraph, False, kind)
                self.packer.add_alone(unit)

    def _heading_rank(self, block: Block, text: str) -> int | None:
        if block.kind == "heading":
            numbering = numbering_of(text)
            if numbering is not None:
                return numbering.rank
            return max((block.level or 1) - self.level_offset, 1)
        return numbered_heading_rank(text)

    def _heading(self, title: str, rank: int) -> None:
        self.packer.flush()
        while self.stack and self.stack[-1].rank >= rank:
            self.stack.pop()
        self.stack.append(_Section(title, rank, classify_heading(title, self.section_kind)))
        self.packer.path = [section.title for section in self.stack]
        self.paragraph = 0
        self.in_table = False

    def _row(self, block: Block) -> None:
        cells = row_cells(block.text)
        text = render_row(cells)
        if not text.strip():
            return
        if not self.in_table:
            self.in_table = True
            self.paragraph += 1  # a table counts as one paragraph when citing "第3段"
            self.table_kind = None
            self.row_kind = None
        self.table_kind = self.table_kind or table_kind(cells)
        kind = self.table_kind or self._row_label_kind(cells)
        start = block.start + (len(block.text) - len(block.text.lstrip()))
        self.packer.add(_Unit(text, start, block.end, block.page, self.paragraph, True, kind))

    def _row_label_kind(self, cells: list[str]) -> SectionKind:
        # Forms such as 003 put whole sections in a table: "项目管理存在的问题及原因 | …".
        label = next((cell for cell in cells if cell.strip()), "")
        if len(compact(label)) <= _ROW_LABEL_MAX:
            kind = classify_heading(label, self.section_kind)
            if kind != self.section_kind:
                self.row_kind = kind
        return self.row_kind or self.section_kind


def chunk_document(doc: LoadedDocument, max_chars: int = 400, overlap: int = 60) -> list[Chunk]:
    """Cut ``doc`` into chunks of at most ``max_chars`` characters that never cross a section.

    Paragraphs are packed together up to ``max_chars``; a longer paragraph is
    split after sentence ends, repeating ``overlap`` characters. Table rows are
    packed only with rows of the same table and never split, so a single row
    may exceed ``max_chars``.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    if not 0 <= overlap < max_chars:
        raise ValueError("overlap must be at least 0 and smaller than max_chars")
    return _Chunker(doc, max_chars, overlap).run()
