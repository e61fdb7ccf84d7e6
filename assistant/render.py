"""Render a jinja2 template into paragraphs of sentences, with citations attached where the template marks them.

Templates write Markdown-like text: ``#``/``##``/``###`` headings, paragraphs
separated by blank lines, and ``{{ cite(hit) }}`` right after a sentence that
reuses precedent wording; ``cite`` records the source and leaves a marker that
is moved onto that sentence here.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from assistant.models import Paragraph, Sentence, SourceRef
from scoring.numbers import fmt, fmt_short

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
_MARKER = re.compile(r"\[\[c:(\d+)\]\]")
_SENTENCE = re.compile(r"[^。！？；]*[。！？；]?(?:\[\[c:\d+\]\])*")
_DIGITS = "〇一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 23 → 二十三 (counts and headings up to 99)."""
    if n < 0 or n > 99:
        return str(n)
    if n < 10:
        return _DIGITS[n] if n else "零"
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def _figure(value: Decimal | float | int | None) -> str:
    return "—" if value is None else fmt(Decimal(str(value)))


def _short(value: Decimal | float | int | None) -> str:
    return "—" if value is None else fmt_short(Decimal(str(value)))


def _strip_end(text: str | None) -> str:
    return (text or "").strip().rstrip("。；;，, ")


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(PROMPTS)), undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=True, keep_trailing_newline=False, autoescape=False)
    env.filters.update(fig=_figure, short=_short, cn=cn_number, clean=_strip_end, join_cn=lambda items, sep="、": sep.join(str(i) for i in items))
    env.globals.update(cn_number=cn_number)
    return env


TEMPLATES = environment()


def render_paragraphs(template: str, context: dict[str, Any]) -> tuple[list[Paragraph], list[SourceRef]]:
    """Render ``template`` (a path under prompts/) into paragraphs; returns them and the citations used."""
    citations: list[SourceRef] = []

    def cite(ref: SourceRef | None) -> str:
        if ref is None:
            return ""
        citations.append(ref)
        return f"[[c:{len(citations) - 1}]]"

    text = TEMPLATES.get_template(template).render(**context, cite=cite)
    return parse_paragraphs(text, citations), citations


_LEVELS = ((re.compile(r"^[一二三四五六七八九十]+、"), 1), (re.compile(r"^[（(][一二三四五六七八九十]+[)）]"), 2), (re.compile(r"^\d+[.．、]"), 3))


def heading_level(title: str, hashes: int) -> int:
    """The 公文 level of a heading inside a section (whose own title is 一、): 一、 is 1, （一） 2, 1. 3;
    a heading with no number is one below the section title, deeper for each extra #."""
    for pattern, level in _LEVELS:
        if pattern.match(title):
            return level
    return min(hashes + 1, 3)


def parse_paragraphs(text: str, citations: list[SourceRef]) -> list[Paragraph]:
    """Blank-line separated blocks → paragraphs; ``#`` lines → headings; markers → sentence citations."""
    paragraphs: list[Paragraph] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        if lines[0].startswith("#"):
            heading = lines.pop(0)
            title = _MARKER.sub("", heading.lstrip("#").strip())
            paragraphs.append(Paragraph(sentences=[Sentence(text=title)], style="heading", level=heading_level(title, len(heading) - len(heading.lstrip("#")))))
            if not lines:
                continue
        body = "".join(lines)
        paragraphs.append(Paragraph(sentences=split_sentences(body, citations)))
    return paragraphs


def split_sentences(body: str, citations: list[SourceRef]) -> list[Sentence]:
    sentences: list[Sentence] = []
    for piece in _SENTENCE.findall(body):
        if not piece:
            continue
        refs = [citations[int(i)] for i in _MARKER.findall(piece)]
        clean = _MARKER.sub("", piece)
        if clean:
            sentences.append(Sentence(text=clean, citations=refs))
        elif refs and sentences:
            sentences[-1].citations.extend(refs)
    return sentences
