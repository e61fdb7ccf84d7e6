"""Word (.docx) files: paragraphs and tables in body order, heading levels from styles.

The zip is inspected before python-docx opens it: a legacy .doc or an
encrypted document (both OLE files), a file that is not a zip, and a zip bomb
are refused with a clear reason. The text is assembled from the blocks, one per
line; a table row becomes one ``table_row`` block with its cells joined by TAB.
A cell merged across columns appears once; a cell merged down from the row
above is empty, as in the text exports of the seed reports.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from retrieval.loaders.base import LoadError, TextBuilder, build_meta, format_size, register_loader
from retrieval.models import BlockKind, LoadedDocument

MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ZIP_MEMBERS = 10_000
# Small documents can compress very well (repetitive XML); the ratio only
# signals a bomb once there is enough data to hurt.
_RATIO_CHECK_FROM_BYTES = 1024 * 1024

_VERIFY_PIECE = 1024 * 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)
_TITLE_STYLES = frozenset({"title", "标题"})
_TOC_STYLE = re.compile(r"^(?:toc|目录)", re.IGNORECASE)
_BODY_TEXT_OUTLINE = 9  # w:outlineLvl 9 means "body text"


def check_zip(path: Path, data: bytes) -> None:
    """Refuse what is not a safe .docx zip before anything decompresses it."""
    if data.startswith(_OLE_MAGIC):
        raise LoadError(path, "这是旧版 Word（.doc）文件或设置了打开密码的文档，请在 Word 中另存为未加密的 .docx 后再导入")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise LoadError(path, "不是有效的 .docx 文件（不是 zip 格式），文件可能已损坏或扩展名有误")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise LoadError(path, f"不是有效的 .docx 文件（zip 结构损坏：{exc}）") from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise LoadError(path, f"压缩包内文件数 {len(members)} 过多（上限 {MAX_ZIP_MEMBERS}），疑似压缩炸弹，已拒绝读取")
    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise LoadError(
            path,
            f"解压后大小 {format_size(total)} 超过上限 {format_size(MAX_UNCOMPRESSED_BYTES)}，疑似压缩炸弹，已拒绝读取",
        )
    compressed = sum(member.compress_size for member in members)
    if total >= _RATIO_CHECK_FROM_BYTES and total > MAX_COMPRESSION_RATIO * max(compressed, 1):
        ratio = total / max(compressed, 1)
        raise LoadError(path, f"压缩比 {ratio:.0f}:1 超过上限 {MAX_COMPRESSION_RATIO}:1，疑似压缩炸弹，已拒绝读取")
    if "word/document.xml" not in {member.filename for member in members}:
        raise LoadError(path, "压缩包中没有 word/document.xml，不是 Word 文档")
    # The sizes above are what the zip declares. A crafted zip can declare a few KB for a
    # member that inflates to gigabytes, and zipfile.read() inflates a whole member in one
    # call before it cuts it to the declared size. Inflate each member in bounded pieces
    # first: reading stops at the declared size and the CRC check exposes the lie.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in members:
                with archive.open(member) as handle:
                    while handle.read(_VERIFY_PIECE):
                        pass
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError, ValueError) as exc:
        raise LoadError(path, f"不是有效的 .docx 文件（压缩包内容损坏或与声明的大小不符：{exc}）") from exc


def _style_chain(paragraph: Paragraph) -> Iterator[Any]:
    style = paragraph.style
    seen = 0
    while style is not None and seen < 10:  # basedOn chains can loop in broken files
        yield style
        style = style.base_style
        seen += 1


def _outline_level(element: Any) -> int | None:
    ppr = element.find(qn("w:pPr"))
    outline = ppr.find(qn("w:outlineLvl")) if ppr is not None else None
    if outline is None:
        return None
    try:
        return int(outline.get(qn("w:val")))
    except (TypeError, ValueError):
        return None


def paragraph_role(paragraph: Paragraph) -> tuple[str, int | None]:
    """``("toc" | "title" | "heading" | "paragraph", level)`` from the style chain and outline level."""
    styles = list(_style_chain(paragraph))
    names = [(style.name or "").strip() for style in styles]
    if any(_TOC_STYLE.match(name) for name in names):
        return "toc", None
    if names and names[0].lower() in _TITLE_STYLES:
        return "title", 1
    for name in names:
        match = _HEADING_STYLE.match(name)
        if match:
            return "heading", max(int(match.group(1)), 1)
    for element in [paragraph._p, *(style.element for style in styles)]:
        level = _outline_level(element)
        if level is not None:
            return ("heading", level + 1) if 0 <= level < _BODY_TEXT_OUTLINE else ("paragraph", None)
    return "paragraph", None


def _cell_text(tc: Any, parent: Any) -> str:
    # Every paragraph in the cell, nested tables included, on one line.
    texts = (Paragraph(p, parent).text for p in tc.iter(qn("w:p")))
    return " ".join(" ".join(text.split()) for text in texts if text.strip())


def row_text(tr: Any, parent: Any) -> str:
    """One table row: cells joined by TAB; merged cells appear once, continued vertical merges are empty."""
    cells = []
    for tc in tr.iterchildren(qn("w:tc")):
        tc_pr = tc.find(qn("w:tcPr"))
        h_merge = tc_pr.find(qn("w:hMerge")) if tc_pr is not None else None
        if h_merge is not None and h_merge.get(qn("w:val")) != "restart":
            continue  # legacy horizontal merge: the first cell already holds the text
        cells.append("" if tc.vMerge == "continue" else _cell_text(tc, parent))
    return "\t".join(cells)


def _body_elements(container: Any) -> Iterator[Any]:
    """Paragraphs and tables in document order, looking inside content controls."""
    for child in container.iterchildren():
        if child.tag in (qn("w:p"), qn("w:tbl")):
            yield child
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _body_elements(content)


def _open(path: Path, data: bytes) -> Any:
    check_zip(path, data)
    try:
        return docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise LoadError(path, f"不是有效的 Word 文档（.docx），文件可能已损坏（{type(exc).__name__}）") from exc
    except Exception as exc:  # lxml raises its own syntax errors for broken XML parts
        raise LoadError(path, f"Word 文档内容损坏，无法解析（{type(exc).__name__}: {exc}）") from exc


@register_loader(".docx")
def load_docx(path: Path, data: bytes) -> LoadedDocument:
    """Load a .docx file."""
    document = _open(path, data)
    body = document._body  # the parent python-docx needs to resolve styles
    builder = TextBuilder()
    title: str | None = None
    for element in _body_elements(document.element.body):
        if element.tag == qn("w:tbl"):
            for tr in element.iterchildren(qn("w:tr")):
                builder.add(row_text(tr, body), "table_row")
            continue
        paragraph = Paragraph(element, body)
        role, level = paragraph_role(paragraph)
        if role == "toc":
            continue
        if role == "title" and title is None and paragraph.text.strip():
            title = " ".join(paragraph.text.split())
        kind: BlockKind = "paragraph" if role == "paragraph" else "heading"
        builder.add(paragraph.text, kind, level=level)
    front = {"title": title} if title else {}
    return LoadedDocument(meta=build_meta(path, builder.text, front), text=builder.text, blocks=builder.blocks)
