"""A report read for checking: its text, paragraphs and tables, and where each position sits (section path, line).

Loading is the retrieval loaders' job (.docx, .pdf, .txt, .md); section paths
come from :func:`retrieval.chunking.chunk_document`, so the checker names a
place exactly as search results cite it.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path

from checker.findings import Place
from retrieval.chunking import (
    chunk_document,
    clean_with_offsets,
    numbered_heading_rank,
    render_row,
    row_cells,
)
from retrieval.loaders import LoadError, load_bytes, load_document
from retrieval.loaders.text import decode_text
from retrieval.models import LoadedDocument

QUOTE_CHARS = 90
_SENTENCE_END = "。；;！？!?\n"


class CheckError(Exception):
    """A report that cannot be checked; ``reason`` is a one-line Chinese message."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass
class Segment:
    """A paragraph, heading or table row with debris removed; ``offsets[i]`` is the document position of ``text[i]``."""

    text: str
    offsets: list[int]
    kind: str  # "paragraph" | "heading" | "table_row"
    index: int  # position among the document's segments
    cells: list[str] = field(default_factory=list)

    def pos(self, i: int) -> int:
        return self.offsets[min(max(i, 0), len(self.offsets) - 1)]


@dataclass
class Table:
    rows: list[Segment]


class ReportDoc:
    """Text, segments and tables of one report, with look-ups from a position to its place."""

    def __init__(self, doc: LoadedDocument, line_base: int = 0) -> None:
        self.doc = doc
        self.text = doc.text
        self.title = doc.meta.title
        self.source = doc.meta.source
        self.line_base = line_base
        self._newlines = [i for i, char in enumerate(self.text) if char == "\n"]
        chunks = chunk_document(doc, max_chars=4000, overlap=0)
        self._chunk_starts = [chunk.start for chunk in chunks]
        self._chunk_paths = [chunk.section_path for chunk in chunks]
        self.segments: list[Segment] = []
        self.tables: list[Table] = []
        previous_row = False
        for block in doc.blocks:
            if block.kind == "table_row":
                cells = row_cells(block.text)
                text = render_row(cells)
                if not text.strip():
                    continue
                lead = len(block.text) - len(block.text.lstrip())
                segment = Segment(text, [block.start + lead] * len(text), "table_row", len(self.segments), cells)
                self.segments.append(segment)
                if not previous_row:
                    self.tables.append(Table([]))
                self.tables[-1].rows.append(segment)
                previous_row = True
                continue
            text, offsets = clean_with_offsets(block.text, block.start)
            if not text:
                continue
            previous_row = False
            heading = block.kind == "heading" or numbered_heading_rank(text) is not None
            self.segments.append(Segment(text, offsets, "heading" if heading else "paragraph", len(self.segments)))

    # ── places ──────────────────────────────────────────────────────────────
    def line_of(self, pos: int) -> int:
        return bisect.bisect_left(self._newlines, pos) + 1 + self.line_base

    def section_of(self, pos: int) -> list[str]:
        i = bisect.bisect_right(self._chunk_starts, pos) - 1
        return list(self._chunk_paths[i]) if i >= 0 else (list(self._chunk_paths[0]) if self._chunk_paths else [])

    def place(self, segment: Segment, start: int = 0, end: int | None = None) -> Place:
        """The place of ``segment.text[start:end]``, quoted with the sentence around it."""
        quote = segment.text if segment.kind == "table_row" else sentence_around(segment.text, start, end if end is not None else start)
        quote = " ".join(quote.split("\t")) if segment.kind == "table_row" else quote
        if len(quote) > QUOTE_CHARS:
            quote = quote[: QUOTE_CHARS - 1] + "…"
        pos = segment.pos(start)
        return Place(section_path=self.section_of(pos), line=self.line_of(pos), quote=quote.strip())

    def heading_before(self, segment: Segment) -> list[str]:
        """The section path of a segment (its enclosing headings)."""
        return self.section_of(segment.pos(0))


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence of ``text`` holding ``text[start:end]``."""
    left = max((text.rfind(mark, 0, start) for mark in _SENTENCE_END), default=-1) + 1
    rights = [i for i in (text.find(mark, max(end, start)) for mark in _SENTENCE_END) if i >= 0]
    right = min(rights) + 1 if rights else len(text)
    return text[left:right].strip()


TEXT_EXTENSIONS = (".txt", ".text", ".md", ".markdown")


def _line_base(path: Path, data: bytes, doc: LoadedDocument) -> int:
    """The number of lines before the document's text in the file (a text file's YAML front matter)."""
    if path.suffix.lower() not in TEXT_EXTENSIONS:
        return 0
    try:
        raw = decode_text(path, data).replace("\r\n", "\n").replace("\r", "\n")
    except LoadError:
        return 0
    if raw.endswith(doc.text) and len(raw) > len(doc.text):
        return raw[: len(raw) - len(doc.text)].count("\n")
    return 0


def _upload_path(name: str, default: str = "report.txt") -> Path:
    """A file name as a client sends it, without any directory part."""
    return Path(Path(name.replace("\\", "/")).name or default)


def load_report(path: str | Path) -> ReportDoc:
    """Read a report file (.docx, .pdf, .txt, .md); raise :class:`CheckError` with a Chinese reason."""
    path = Path(path)
    try:
        doc = load_document(path)
    except LoadError as exc:
        raise CheckError(f"无法读取 {path.name}：{exc.reason}") from None
    line_base = _line_base(path, path.read_bytes(), doc) if path.suffix.lower() in TEXT_EXTENSIONS else 0
    return ReportDoc(doc, line_base)


def load_report_bytes(data: bytes, name: str) -> ReportDoc:
    """Read an uploaded report: its bytes and its file name (the extension picks the loader)."""
    path = _upload_path(name)
    try:
        doc = load_bytes(data, path)
    except LoadError as exc:
        raise CheckError(f"无法读取 {path.name}：{exc.reason}") from None
    return ReportDoc(doc, _line_base(path, data, doc))


def report_from_text(text: str, name: str = "report.txt") -> ReportDoc:
    """A report given as text (the API's JSON body); ``name``'s extension says whether it is Markdown."""
    if not text.strip():
        raise CheckError("报告正文为空")
    path = _upload_path(name)
    if path.suffix.lower() not in TEXT_EXTENSIONS:
        path = path.with_suffix(".txt")
    data = text.encode("utf-8")
    try:
        doc = load_bytes(data, path)
    except LoadError as exc:
        raise CheckError(exc.reason) from None
    return ReportDoc(doc, _line_base(path, data, doc))


_SPACES = re.compile(r"\s+")


def squash(text: str) -> str:
    """``text`` without any whitespace (003 breaks indicator names with spaces)."""
    return _SPACES.sub("", text)
