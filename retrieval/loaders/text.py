"""Plain text and Markdown: decode, strip YAML front matter, cut the text into blocks.

The document's ``text`` is the file's text after the front matter (line ends
normalised to ``\\n``); block offsets point into it, so a hit can be shown in
the original. Blocks are:

- Markdown ``#`` headings (the block starts after the ``#`` marks);
- table rows: a Markdown ``| a | b |`` line; a line with tabs between cells
  (``a\\tb\\tc``); or, as .docx exports write them, one cell per line each
  starting with a TAB, rows separated by blank lines, where a line without a
  TAB right after a cell continues that cell;
- every other non-blank line is a paragraph.

Rule lines (``-----``, ``|---|``) are page-break or border debris and become no block.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import charset_normalizer
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from retrieval.loaders.base import LoadError, build_meta, is_rule_line, register_loader, strip_debris
from retrieval.models import Block, BlockKind, LoadedDocument

MARKDOWN_EXTENSIONS = frozenset({".md", ".markdown"})
METADATA_KEYS = frozenset({"title", "project", "year", "region", "kind", "evaluator", "report_kind"})

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FRONT_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:")
_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
_MD_PREFIX = re.compile(r"^(?:>[ \t]?|[-*+][ \t]+)+")
_CELL_LINE = re.compile(r"^[ \u3000]*\t")
_NEW_ROW_CELL = re.compile(r"^[ \u3000]+\t")
_MIN_CELLS_BEFORE_SPLIT = 3
_HEADING_HINT = re.compile(r"^[（(]?\s*(?:[一二三四五六七八九十]+|\d{1,2})\s*[）)、.．]|^附件")

# Charset guesses below this coherence are noise: charset-normalizer happily
# calls random bytes UTF-16 or ISO-8859-5 with zero chaos.
_MIN_COHERENCE = 0.3
_MAX_CHAOS = 0.1


# Share of private-use code points above which a GB18030 decoding is taken for mojibake
# (Big5 text decoded as GB18030: about a third; real GBK reports: none).
_MAX_PRIVATE_USE = 0.01


def _private_use_share(text: str) -> float:
    private = sum(1 for char in text if "\ue000" <= char <= "\uf8ff")
    return private / len(text) if private >= 3 else 0.0


def decode_text(path: Path, data: bytes) -> str:
    """Decode ``data``: UTF-8 (with or without BOM), UTF-16 with BOM, then GB18030 (a superset of GBK)."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise LoadError(path, f"文件声明为 UTF-8 编码，但第 {exc.start} 字节处无法解码，文件可能已损坏") from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise LoadError(path, "文件声明为 UTF-16 编码，但内容无法解码，文件可能已损坏") from exc
    if b"\x00" in data:
        raise LoadError(path, "文件包含二进制内容，不是纯文本文件，无法按文本读取")
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "gb18030" and _private_use_share(text) > _MAX_PRIVATE_USE:
            break  # GB18030 decodes almost any bytes (Big5 among them) into private-use mojibake: not GBK
        return text
    best = charset_normalizer.from_bytes(data).best()
    if best is not None and best.chaos <= _MAX_CHAOS and best.coherence >= _MIN_COHERENCE:
        return str(best)
    raise LoadError(path, "无法识别文本编码（已尝试 UTF-8、GB18030/GBK），请另存为 UTF-8 编码后重试")


def split_front_matter(path: Path, text: str, markdown: bool = True) -> tuple[dict[str, Any], str]:
    """``(front matter, rest of the text)``; a file without front matter gives ``({}, text)``.

    In a plain-text file, a block between two ``---`` lines is only taken for
    front matter if it names one of our metadata keys: there, ``---`` is more
    often a page-break rule around a "说明: …" line.
    """
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    body = match.group(1)
    try:
        data = YAML(typ="safe", pure=True).load(body)
    except (MarkedYAMLError, YAMLError) as exc:
        # "---" may just be a rule line at the top of a plain text; only complain
        # when the block really looks like key: value front matter.
        if not _FRONT_KEY.match(body.lstrip()):
            return {}, text
        mark = getattr(exc, "problem_mark", None)
        where = f"（第 {mark.line + 2} 行）" if mark is not None else ""  # +1 for 1-based, +1 for the opening ---
        problem = getattr(exc, "problem", None) or exc
        raise LoadError(path, f"文件开头的 YAML 信息格式错误{where}：{problem}") from exc
    if not isinstance(data, dict) or not (markdown or METADATA_KEYS & {str(key) for key in data}):
        return {}, text
    return {str(key): value for key, value in data.items()}, text[match.end():]


@dataclass
class _Row:
    """A table row written one cell per line, still being read."""

    start: int
    end: int
    cells: int
    open: bool = True  # no blank line yet: a following line without TAB continues the last cell


class _BlockReader:
    """Walks the lines of a text and collects its blocks."""

    def __init__(self, text: str, markdown: bool) -> None:
        self.text = text
        self.markdown = markdown
        self.blocks: list[Block] = []
        self.row: _Row | None = None

    def read(self) -> list[Block]:
        offset = 0
        for line in self.text.split("\n"):
            self._line(line, offset)
            offset += len(line) + 1
        self._close_row()
        return self.blocks

    def _line(self, line: str, start: int) -> None:
        end = start + len(line)
        if not line.strip(" \u3000\r"):  # a lone TAB is an empty cell, not a blank line
            if self.row:
                self.row.open = False
            return
        if is_rule_line(line):
            self._close_row()
            return
        if self.markdown and self._markdown_line(line, start, end):
            return
        if _CELL_LINE.match(line) and "\t" not in line.split("\t", 1)[1]:
            self._cell_line(line, start, end)
            return
        if "\t" in line:
            self._close_row()
            self._add(start, end, "table_row")
            return
        if self.row and self.row.open and not self._looks_like_heading(line):
            self.row.end = end  # a multi-line cell
            return
        self._close_row()
        self._add_paragraph(line, start, end)

    def _markdown_line(self, line: str, start: int, end: int) -> bool:
        heading = _MD_HEADING.match(line)
        if heading:
            self._close_row()
            if heading.group(2):
                self._add(start + heading.start(2), start + heading.end(2), "heading", level=len(heading.group(1)))
            return True
        if line.lstrip().startswith("|"):
            self._close_row()
            self._add(start, end, "table_row")
            return True
        return False

    def _cell_line(self, line: str, start: int, end: int) -> None:
        row = self.row
        # Exports drop the blank line (and the empty cells) before a row whose
        # first cells are merged with the row above; such a row starts with
        # " \t". 004's total row also has a " \t" as its 3rd cell, so only trust
        # it once the current row holds a few cells.
        starts_new_row = _NEW_ROW_CELL.match(line) is not None and row is not None and row.cells >= _MIN_CELLS_BEFORE_SPLIT
        if row is None or not row.open or starts_new_row:
            self._close_row()
            self.row = _Row(start, end, 1)
            return
        row.end = end
        row.cells += 1

    def _close_row(self) -> None:
        if self.row:
            self._add(self.row.start, self.row.end, "table_row")
            self.row = None

    def _looks_like_heading(self, line: str) -> bool:
        return line.lstrip().startswith("[bookmark") or bool(_HEADING_HINT.match(strip_debris(line).strip()))

    def _add_paragraph(self, line: str, start: int, end: int) -> None:
        if self.markdown:
            prefix = _MD_PREFIX.match(line.lstrip())
            if prefix:
                start += len(line) - len(line.lstrip()) + prefix.end()
        self._add(start, end, "paragraph")

    def _add(self, start: int, end: int, kind: BlockKind, level: int | None = None) -> None:
        # Trim surrounding spaces (but keep a row's leading TAB: it marks an empty first cell).
        strip = " \u3000\r\n" if kind == "table_row" else " \t\u3000\r\n"
        while start < end and self.text[start] in strip:
            start += 1
        while end > start and self.text[end - 1] in " \t\u3000\r\n":
            end -= 1
        if self.text[start:end].strip():  # a line of only other whitespace (\x0b, \x1c, \u2028 …) is no block
            self.blocks.append(Block(text=self.text[start:end], kind=kind, level=level, start=start, end=end))


def text_blocks(text: str, markdown: bool = False) -> list[Block]:
    """Cut ``text`` into heading, paragraph and table-row blocks (see the module docstring)."""
    return _BlockReader(text, markdown).read()


@register_loader(".txt", ".text", ".md", ".markdown")
def load_text(path: Path, data: bytes) -> LoadedDocument:
    """Load a plain-text or Markdown file."""
    raw = decode_text(path, data).replace("\r\n", "\n").replace("\r", "\n")
    markdown = path.suffix.lower() in MARKDOWN_EXTENSIONS
    front, text = split_front_matter(path, raw, markdown)
    blocks = text_blocks(text, markdown)
    return LoadedDocument(meta=build_meta(path, text, front), text=text, blocks=blocks)
