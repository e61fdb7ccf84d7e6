"""PDF files: the text layer of each page, cut into paragraphs that carry their page number.

PDF text comes out as visual lines, so lines are joined back into paragraphs:
a paragraph ends at a blank line, after sentence-ending punctuation, before a
numbered or bulleted line, and after a short line (most likely a heading).
A PDF that needs a password to open is refused; one that only restricts
printing or copying (empty user password) is read.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from typing import TYPE_CHECKING, Any

from retrieval.loaders.base import LoadError, TextBuilder, build_meta, register_loader
from retrieval.models import LoadedDocument

_PAGE_SEPARATOR = "\n\n"
_SENTENCE_END = tuple("。！？；：!?;:")
_SHORT_LINE_RATIO = 0.6
_NEW_ITEM = re.compile(r"^(?:[（(]?\s*(?:[一二三四五六七八九十]+|\d{1,2})\s*[）)、.．]|[•·●▪■◆]|附件|第[一二三四五六七八九十\d]+[章节条])")


def _join(left: str, right: str) -> str:
    # Wrapped CJK lines join without a space; Latin words and numbers need one.
    if left[-1].isascii() and left[-1].isalnum() and right[0].isascii() and right[0].isalnum():
        return f"{left} {right}"
    return left + right


def page_paragraphs(page_text: str) -> list[str]:
    """Rejoin the visual lines of one page into paragraphs."""
    lines = [" ".join(raw.split()) for raw in page_text.splitlines()]
    # A line clearly shorter than the page's full lines ends its paragraph (or is a heading).
    short = _SHORT_LINE_RATIO * max((len(line) for line in lines), default=0)
    paragraphs: list[str] = []
    current = ""
    last_line = ""
    for line in lines:
        if not line:
            if current:
                paragraphs.append(current)
            current = last_line = ""
            continue
        ends_paragraph = last_line.endswith(_SENTENCE_END) or len(last_line) < short
        if current and (ends_paragraph or _NEW_ITEM.match(line)):
            paragraphs.append(current)
            current = ""
        current = _join(current, line) if current else line
        last_line = line
    if current:
        paragraphs.append(current)
    return paragraphs


if TYPE_CHECKING:
    from pypdf import PdfReader


def _pypdf(path: Path) -> Any:
    """pypdf, imported when a PDF is read: nothing else (scoring, Excel import) may fail for want of it."""
    try:
        import pypdf
        import pypdf.errors
    except ImportError:
        raise LoadError(path, "读取 PDF 需要 pypdf 组件：请运行 python -m pip install pypdf") from None
    return pypdf


def _reader(path: Path, data: bytes) -> "PdfReader":
    pypdf = _pypdf(path)
    PdfReadError, PdfStreamError = pypdf.errors.PdfReadError, pypdf.errors.PdfStreamError
    DependencyError = pypdf.errors.DependencyError
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
    except (PdfReadError, PdfStreamError, ValueError, KeyError, TypeError) as exc:
        raise LoadError(path, f"PDF 文件已损坏或格式不正确（{exc}）") from exc
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except (DependencyError, NotImplementedError) as exc:
            raise LoadError(path, f"PDF 已加密，当前环境无法解密（{exc}）") from exc
        if not opened:
            raise LoadError(path, "PDF 已加密，需要密码才能打开；请提供未加密的文件")
    return reader


@register_loader(".pdf")
def load_pdf(path: Path, data: bytes) -> LoadedDocument:
    """Load a PDF's text layer, one block per paragraph, each with its page number."""
    reader = _reader(path, data)
    errors = _pypdf(path).errors
    PdfReadError, PdfStreamError, FileNotDecryptedError = errors.PdfReadError, errors.PdfStreamError, errors.FileNotDecryptedError
    builder = TextBuilder()
    try:
        pages = list(reader.pages)
    except (PdfReadError, PdfStreamError, FileNotDecryptedError, ValueError, KeyError) as exc:
        raise LoadError(path, f"PDF 页面结构损坏，无法读取（{exc}）") from exc
    for number, page in enumerate(pages, start=1):
        try:
            page_text = page.extract_text() or ""
        except FileNotDecryptedError as exc:
            raise LoadError(path, "PDF 已加密，需要密码才能打开；请提供未加密的文件") from exc
        except Exception as exc:  # pypdf raises many types on broken content streams
            raise LoadError(path, f"第 {number} 页无法解析，文件可能已损坏（{type(exc).__name__}: {exc}）") from exc
        for index, paragraph in enumerate(page_paragraphs(page_text)):
            separator = _PAGE_SEPARATOR if index == 0 else "\n"
            builder.add(paragraph, "paragraph", page=number, separator=separator)
    if not builder.blocks:
        raise LoadError(path, "PDF 中没有可提取的文字（可能是扫描件，需要先做文字识别）")
    return LoadedDocument(meta=build_meta(path, builder.text, {}), text=builder.text, blocks=builder.blocks)
