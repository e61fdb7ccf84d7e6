"""Word (.docx) and Markdown export of a :class:`~assistant.models.Draft`.

The Word file follows the look of a Chinese government report (党政机关公文格式, GB/T 9704):
A4, margins 3.7 / 3.5 / 2.8 / 2.6 cm, title in 方正小标宋简体 二号, 一级标题 黑体 三号,
二级标题 楷体 三号, body 仿宋 三号 with a two-character first-line indent and a fixed 28 pt line.

Every sentence is written as its own run(s), so that the evaluator sees in Word/WPS:

* a comment on each sentence that reuses wording from a precedent (引用先例：…);
* a comment on exactly the characters of each number traced to the score audit
  (数字来源：its Chinese label；算式：audit);
* a yellow highlight and a comment (待核：…) on exactly the characters the number guard flagged.

Only ``export_docx`` and ``export_markdown`` are public.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run

from .models import ClaimViolation, Draft, Offer, Paragraph, SourceRef, TableData, Violation

__all__ = ["export_docx", "export_markdown"]

# -- fonts (names as Word/WPS know them; a machine without one substitutes) --
FONT_TITLE = "方正小标宋简体"
FONT_HEI = "黑体"
FONT_KAI = "楷体"
FONT_FANGSONG = "仿宋"

SIZE_TITLE = Pt(22)  # 二号
SIZE_BODY = Pt(16)  # 三号
SIZE_TABLE = Pt(12)  # 小四
SIZE_COMMENT = Pt(10.5)  # 五号
LINE_EXACT = Pt(28)
INDENT_2_CHARS = Pt(32)  # two 三号 characters

COMMENT_AUTHOR = "jixiao"
COMMENT_INITIALS = "JX"

# (style name, east-asian font, bold) for heading levels 1, 2, 3+
_HEADING_STYLES = {
    1: ("Heading 1", FONT_HEI, False),
    2: ("Heading 2", FONT_KAI, False),
    3: ("Heading 3", FONT_FANGSONG, True),
}
STYLE_TABLE_TEXT = "表格文字"
STYLE_NOTE = "说明"


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------


def export_docx(draft: Draft) -> bytes:
    """The draft as a .docx file (bytes), formatted like a government report.

    Paragraphs, in order: the report title, then for each section its title, its paragraphs and
    one caption per table (the tables follow their captions), then a 说明 paragraph if the draft
    has notes or violations that could not be placed in the text.
    """
    draft = _xml_safe(draft)
    document = Document()
    _setup_page(document)
    _setup_styles(document)

    placed, unplaced = _place_violations(draft)

    title = document.add_paragraph(style="Title")
    _add_run(title, _report_title(draft), FONT_TITLE)

    for s_index, section in enumerate(draft.sections):
        heading = document.add_paragraph(style=_HEADING_STYLES[1][0])
        _add_run(heading, section.title, _HEADING_STYLES[1][1])
        for p_index, paragraph in enumerate(section.paragraphs):
            claims = [v for v in (draft.guard.claim_violations if draft.guard else []) if v.section == section.name and v.paragraph == p_index]
            _write_paragraph(document, paragraph, placed.get((s_index, p_index), []), claims)
        for table in section.tables:
            _write_table(document, table)

    note = _notes_text(draft.notes, unplaced)
    if note:
        para = document.add_paragraph(style=STYLE_NOTE)
        _add_run(para, note, FONT_KAI)

    props = document.core_properties
    props.title = _core_property(_report_title(draft))
    props.subject = "项目支出绩效评价报告（草稿）"
    props.author = COMMENT_AUTHOR
    props.last_modified_by = COMMENT_AUTHOR
    props.comments = _core_property(f"backend: {draft.backend}; section: {draft.section}")
    props.revision = 1

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# Word's core properties (docProps/core.xml) hold at most 255 characters; python-docx refuses longer.
_CORE_PROPERTY_LIMIT = 255


def _core_property(text: str) -> str:
    """``text`` cut to what a core property holds, marked with an ellipsis when cut (the body keeps it whole)."""
    return text if len(text) <= _CORE_PROPERTY_LIMIT else text[: _CORE_PROPERTY_LIMIT - 1] + "…"


# Characters XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/U+FFFF): python-docx
# refuses them with a ValueError. A case or a client-supplied draft may contain them.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(draft: Draft) -> Draft:
    """``draft`` with every character XML cannot hold replaced by U+FFFD (one for one: offsets stay valid)."""

    def clean(value: object) -> object:
        if isinstance(value, str):
            return _NOT_XML.sub("\ufffd", value)
        if isinstance(value, dict):
            return {key: clean(item) for key, item in value.items()}
        if isinstance(value, list):
            return [clean(item) for item in value]
        return value

    data = draft.model_dump()
    cleaned = clean(data)
    return draft if cleaned == data else Draft.model_validate(cleaned)


def export_markdown(draft: Draft) -> str:
    """``draft.markdown()`` with violations marked inline as 【待核：原文】 and a numbered 引用 list.

    The 引用 list holds every distinct citation (by source file and display), in order of first
    use. Notes and violations that could not be placed in the text follow as a 说明 line.
    """
    placed, unplaced = _place_violations(draft)
    marked = draft.model_copy(deep=True)
    for (s_index, p_index), spans in placed.items():
        paragraph = marked.sections[s_index].paragraphs[p_index]
        text = paragraph.text
        for start, end in reversed(_merge_ranges([(span.start, span.end) for span in spans])):
            text = f"{text[:start]}【待核：{text[start:end]}】{text[end:]}"
        paragraph.sentences = [paragraph.sentences[0].model_copy(update={"text": text, "figures": []})]
    out = marked.markdown()

    citations = draft.citations()
    if citations:
        lines = ["## 引用", ""]
        lines.extend(f"{number}. {_citation_text(ref)}" for number, ref in enumerate(citations, 1))
        out += "\n" + "\n".join(lines) + "\n"

    note = _notes_text(draft.notes, unplaced)
    if note:
        out += "\n" + note + "\n"
    return out


# ---------------------------------------------------------------------------
# violations: where each one is in the text
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    violation: Violation


def _nearest_occurrence(text: str, needle: str, near: int) -> tuple[int, int] | None:
    """The occurrence of ``needle`` in ``text`` closest to position ``near`` (the first on a tie)."""
    if not needle:
        return None
    hits = []
    at = text.find(needle)
    while at >= 0:
        hits.append(at)
        at = text.find(needle, at + 1)
    if not hits:
        return None
    best = min(hits, key=lambda hit: (abs(hit - near), hit))
    return best, best + len(needle)


def _place_violations(draft: Draft) -> tuple[dict[tuple[int, int], list[_Span]], list[Violation]]:
    """Map (section index, paragraph index) → the violations in that paragraph; and the rest."""
    placed: dict[tuple[int, int], list[_Span]] = {}
    unplaced: list[Violation] = []
    violations = draft.guard.violations if draft.guard else []
    for violation in violations:
        candidates: list[tuple[int, int]] = []
        for s_index, section in enumerate(draft.sections):
            if violation.section is not None and section.name != violation.section:
                continue
            if violation.paragraph is not None:
                if 0 <= violation.paragraph < len(section.paragraphs):
                    candidates.append((s_index, violation.paragraph))
            else:
                candidates.extend((s_index, p_index) for p_index in range(len(section.paragraphs)))
        # exact offsets first, then the nearest occurrence of its text in any candidate paragraph,
        # then (for a named paragraph) its offsets as given
        where = None
        for key in candidates:
            text = draft.sections[key[0]].paragraphs[key[1]].text
            if violation.text and text[violation.start : violation.end] == violation.text:
                where = (key, (violation.start, violation.end))
                break
        if where is None:
            for key in candidates:
                text = draft.sections[key[0]].paragraphs[key[1]].text
                span = _nearest_occurrence(text, violation.text, violation.start)
                if span is not None:
                    where = (key, span)
                    break
        if where is None and violation.paragraph is not None and len(candidates) == 1:
            text = draft.sections[candidates[0][0]].paragraphs[candidates[0][1]].text
            if 0 <= violation.start < violation.end <= len(text):
                where = (candidates[0], (violation.start, violation.end))
        if where is None:
            unplaced.append(violation)
            continue
        key, (start, end) = where
        placed.setdefault(key, []).append(_Span(start, end, violation))
    for spans in placed.values():
        spans.sort(key=lambda span: (span.start, -span.end))
    return placed, unplaced


def _merge_ranges(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


# ---------------------------------------------------------------------------
# text helpers
# ---------------------------------------------------------------------------


def _report_title(draft: Draft) -> str:
    project = draft.project.strip()
    return project if project.endswith("报告") else f"{project}绩效评价报告"


def _citation_text(ref: SourceRef) -> str:
    return f"{ref.display}（{ref.source}）" if ref.source else ref.display


def _violation_comment(violation: Violation) -> str:
    text = f"待核：{violation.reason}"
    if violation.nearest:
        text += f"；最接近的合法数字：{violation.nearest}"
    return text


def _notes_text(notes: list[str], unplaced: list[Violation]) -> str:
    items = [note.strip() for note in notes if note.strip()]
    items.extend(f"待核：{v.text}（{v.reason}）" for v in unplaced)
    if not items:
        return ""
    if len(items) == 1:
        return f"说明：{items[0]}"
    return "说明：" + "".join(f"（{number}）{item}" for number, item in enumerate(items, 1))


# ---------------------------------------------------------------------------
# page and styles
# ---------------------------------------------------------------------------


def _setup_page(document: DocxDocument) -> None:
    section = document.sections[0]
    section.page_width = Cm(21)
    section.page_height = Cm(29.7)
    section.top_margin = Cm(3.7)
    section.bottom_margin = Cm(3.5)
    section.left_margin = Cm(2.8)
    section.right_margin = Cm(2.6)
    section.header_distance = Cm(1.5)
    section.footer_distance = Cm(2.5)
    _add_page_number(section.footer.paragraphs[0])


def _add_page_number(paragraph: DocxParagraph) -> None:
    """「— 1 —」 centred, 宋体 四号, as in 公文."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.first_line_indent = Pt(0)
    _clear_ind_chars(paragraph._p.get_or_add_pPr())

    def run(text: str = "") -> Run:
        r = paragraph.add_run(text)
        r.font.size = Pt(14)
        _set_run_fonts(r._r, "宋体")
        return r

    run("— ")
    begin = run()
    begin._r.append(OxmlElement("w:fldChar", attrs={qn("w:fldCharType"): "begin"}))
    instr = run()
    instr_el = OxmlElement("w:instrText", attrs={qn("xml:space"): "preserve"})
    instr_el.text = " PAGE "
    instr._r.append(instr_el)
    separate = run()
    separate._r.append(OxmlElement("w:fldChar", attrs={qn("w:fldCharType"): "separate"}))
    run("1")
    end = run()
    end._r.append(OxmlElement("w:fldChar", attrs={qn("w:fldCharType"): "end"}))
    run(" —")


_THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _set_fonts_on_rpr(rPr: Any, font: str) -> None:
    """Set ascii, hAnsi, eastAsia and cs fonts on an ``w:rPr`` and drop theme fonts (which win)."""
    rFonts = rPr.get_or_add_rFonts()
    for attr in _THEME_ATTRS:
        if rFonts.get(qn(attr)) is not None:
            del rFonts.attrib[qn(attr)]
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rFonts.set(qn(attr), font)


def _set_run_fonts(r: Any, font: str) -> None:
    _set_fonts_on_rpr(r.get_or_add_rPr(), font)


def _clear_ind_chars(pPr: Any) -> None:
    ind = pPr.find(qn("w:ind"))
    if ind is not None:
        for attr in ("w:firstLineChars", "w:hangingChars"):
            if ind.get(qn(attr)) is not None:
                del ind.attrib[qn(attr)]


def _set_first_line_chars(pPr: Any, chars: int) -> None:
    """Indent the first line by ``chars`` characters (Word reads firstLineChars; others firstLine)."""
    ind = pPr.find(qn("w:ind"))
    if ind is None:
        ind = OxmlElement("w:ind")
        pPr.append(ind)
        # keep schema order: w:ind comes after w:spacing and before w:jc
        jc = pPr.find(qn("w:jc"))
        if jc is not None:
            jc.addprevious(ind)
    ind.set(qn("w:firstLineChars"), str(chars * 100))


def _reset_style(style: Any) -> None:
    """Drop a built-in style's own paragraph and run properties (colours, theme fonts, borders)."""
    for tag in ("w:pPr", "w:rPr"):
        for child in style.element.findall(qn(tag)):
            style.element.remove(child)


def _paragraph_style(
    document: DocxDocument,
    name: str,
    font: str,
    size: Pt,
    *,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = WD_ALIGN_PARAGRAPH.JUSTIFY,
    indent_chars: int = 2,
    line: Pt | None = LINE_EXACT,
    outline_level: int | None = None,
    keep_with_next: bool = False,
    style_id: str | None = None,
) -> Any:
    styles = document.styles
    try:
        style = styles[name]
    except KeyError:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles["Normal"]
        style.quick_style = True
    if style_id is not None:
        style.style_id = style_id
    _reset_style(style)
    style.font.size = size
    style.font.bold = bold
    _set_fonts_on_rpr(style.element.get_or_add_rPr(), font)
    fmt = style.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    if line is not None:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = line
    else:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.alignment = align
    fmt.first_line_indent = Pt(size.pt * indent_chars) if indent_chars else Pt(0)
    pPr = style.element.get_or_add_pPr()
    if indent_chars:
        _set_first_line_chars(pPr, indent_chars)
    if keep_with_next:
        fmt.keep_with_next = True
    if outline_level is not None:
        pPr.append(OxmlElement("w:outlineLvl", attrs={qn("w:val"): str(outline_level)}))
    return style


def _setup_styles(document: DocxDocument) -> None:
    styles = document.styles
    # document defaults: no theme fonts, Chinese language, no paragraph spacing
    defaults = styles.element.find(qn("w:docDefaults"))
    rPr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    rFonts = rPr.find(qn("w:rFonts"))
    for attr in _THEME_ATTRS:
        if rFonts.get(qn(attr)) is not None:
            del rFonts.attrib[qn(attr)]
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rFonts.set(qn(attr), FONT_FANGSONG)
    lang = rPr.find(qn("w:lang"))
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:val"), "en-US")
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")

    _paragraph_style(document, "Normal", FONT_FANGSONG, SIZE_BODY)
    _paragraph_style(
        document, "Title", FONT_TITLE, SIZE_TITLE, align=WD_ALIGN_PARAGRAPH.CENTER, indent_chars=0, line=None
    )
    title_fmt = styles["Title"].paragraph_format
    title_fmt.space_before = Pt(0)
    title_fmt.space_after = LINE_EXACT  # one blank 28 pt line under the title, as in 公文
    for level, (name, font, bold) in _HEADING_STYLES.items():
        _paragraph_style(
            document, name, font, SIZE_BODY, bold=bold, outline_level=level - 1, keep_with_next=True
        )
        styles[name].font.color.rgb = None
    _paragraph_style(
        document,
        "Caption",
        FONT_HEI,
        Pt(14),
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent_chars=0,
        keep_with_next=True,
    )
    styles["Caption"].paragraph_format.space_before = Pt(14)
    styles["Caption"].paragraph_format.space_after = Pt(6)
    _paragraph_style(
        document, STYLE_TABLE_TEXT, FONT_FANGSONG, SIZE_TABLE, align=WD_ALIGN_PARAGRAPH.CENTER, indent_chars=0, line=None
    )
    _paragraph_style(document, STYLE_NOTE, FONT_KAI, SIZE_BODY)
    styles[STYLE_NOTE].paragraph_format.space_before = LINE_EXACT
    # comment balloons: small, no indent (python-docx refers to these ids but the template lacks them)
    _paragraph_style(
        document,
        "annotation text",
        FONT_FANGSONG,
        SIZE_COMMENT,
        align=WD_ALIGN_PARAGRAPH.LEFT,
        indent_chars=0,
        line=None,
        style_id="CommentText",
    )
    if "annotation reference" not in [s.name for s in styles]:
        reference = styles.add_style("annotation reference", WD_STYLE_TYPE.CHARACTER)
        reference.style_id = "CommentReference"
        reference.font.size = Pt(8)


# ---------------------------------------------------------------------------
# paragraphs, runs and comments
# ---------------------------------------------------------------------------


def _add_run(paragraph: DocxParagraph, text: str, font: str) -> Run:
    run = paragraph.add_run(text)
    _set_run_fonts(run._r, font)
    return run


@dataclass
class _Piece:
    start: int  # in the paragraph text
    end: int
    run: Run


@dataclass
class _Anchor:
    start: int
    end: int
    order: int  # sentence comments before figures before violations at the same place
    text: str
    runs: list[Run] = field(default_factory=list)


def _paragraph_look(paragraph: Paragraph) -> tuple[str, str]:
    """(style name, east-asian font) of a draft paragraph."""
    if paragraph.style == "heading":
        level = min(max(paragraph.level, 1), 3)
        name, font, _bold = _HEADING_STYLES[level]
        return name, font
    return "Normal", FONT_FANGSONG


def _offer_comment(offer: Offer) -> str:
    label = "可选原因" if offer.kind == "cause" else "可选措施"
    where = f"（出处：{_citation_text(offer.citation)}）" if offer.citation else "（jixiao 通用措辞）"
    accept = "；采纳后写入问题清单的“问题原因”" if offer.kind == "cause" and offer.finding_ids else ""
    return f"{label}，未写入正文{accept}：{offer.text}{where}"


def _write_paragraph(document: DocxDocument, paragraph: Paragraph, spans: list[_Span], claims: list[ClaimViolation] | None = None) -> None:
    style, font = _paragraph_look(paragraph)
    para = document.add_paragraph(style=style)
    text = paragraph.text

    # cut points: sentence ends, figure ends, violation ends
    cuts = {0, len(text)}
    anchors: list[_Anchor] = []
    offset = 0
    sentence_ranges: list[tuple[int, int]] = []
    for sentence in paragraph.sentences:
        s_start, s_end = offset, offset + len(sentence.text)
        offset = s_end
        sentence_ranges.append((s_start, s_end))
        cuts.update((s_start, s_end))
        if s_end == s_start:
            continue
        refs: list[SourceRef] = []
        for ref in sentence.citations:
            if all((ref.source, ref.display) != (r.source, r.display) for r in refs):
                refs.append(ref)
        if refs:
            comment = "\n".join(f"引用先例：{_citation_text(ref)}" for ref in refs)
            anchors.append(_Anchor(s_start, s_end, 0, comment))
        for figure in sentence.figures:
            if not figure.audit:
                continue
            where = _figure_span(sentence.text, figure.text, figure.start, figure.end)
            if where is None:
                continue
            f_start, f_end = s_start + where[0], s_start + where[1]
            cuts.update((f_start, f_end))
            anchors.append(_Anchor(f_start, f_end, 1, f"数字来源：{figure.label or '评分结果'}；算式：{figure.audit}"))
    for span in spans:
        cuts.update((span.start, span.end))
        anchors.append(_Anchor(span.start, span.end, 2, _violation_comment(span.violation)))
    for claim in claims or []:
        at = text.find(claim.text)
        c_start, c_end = (at, at + len(claim.text)) if at >= 0 else (0, len(text))
        cuts.update((c_start, c_end))
        anchors.append(_Anchor(c_start, c_end, 2, f"事实核对：{claim.reason}"))
    if paragraph.offers and text:
        at = text.find("【请补充原因】")
        o_start, o_end = (at, at + len("【请补充原因】")) if at >= 0 else sentence_ranges[-1]
        cuts.update((o_start, o_end))
        for offer in paragraph.offers:
            anchors.append(_Anchor(o_start, o_end, 3, _offer_comment(offer)))

    highlighted = _merge_ranges([(span.start, span.end) for span in spans])
    points = sorted(cut for cut in cuts if 0 <= cut <= len(text))
    pieces: list[_Piece] = []
    for start, end in zip(points, points[1:]):
        if start == end:
            continue
        run = _add_run(para, text[start:end], font)
        if any(h_start <= start and end <= h_end for h_start, h_end in highlighted):
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW
        pieces.append(_Piece(start, end, run))

    anchors.sort(key=lambda a: (a.start, -a.end, a.order, a.text))
    for anchor in anchors:
        runs = [piece.run for piece in pieces if anchor.start <= piece.start and piece.end <= anchor.end]
        if runs:
            document.add_comment(runs, text=anchor.text, author=COMMENT_AUTHOR, initials=COMMENT_INITIALS)


def _figure_span(sentence: str, text: str, start: int, end: int) -> tuple[int, int] | None:
    """The figure's place in the sentence: its offsets if they hold its text, else the nearest
    occurrence of its text, else its offsets if they are in range."""
    if text and sentence[start:end] == text:
        return start, end
    span = _nearest_occurrence(sentence, text, start)
    if span is not None:
        return span
    if 0 <= start < end <= len(sentence):
        return start, end
    return None


# ---------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------


def _looks_numeric(text: str) -> bool:
    stripped = text.strip().rstrip("%％分")
    if not stripped:
        return True
    try:
        float(stripped.replace(",", ""))
    except ValueError:
        return False
    return True


def _write_table(document: DocxDocument, data: TableData) -> None:
    caption = document.add_paragraph(style="Caption")
    _add_run(caption, data.title, FONT_HEI)

    columns = max([len(data.header), *(len(row) for row in data.rows)] or [1])
    grid = [list(data.header) + [""] * (columns - len(data.header))]
    grid.extend(list(row) + [""] * (columns - len(row)) for row in data.rows)

    table = document.add_table(rows=len(grid), cols=columns)
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER

    # column widths in proportion to their longest text (clipped), filling the text width
    section = document.sections[-1]
    text_width = int(section.page_width or 0) - int(section.left_margin or 0) - int(section.right_margin or 0)
    weights = [min(max(max(len(row[c]) for row in grid), 2), 14) + 1 for c in range(columns)]
    widths = [int(text_width * w / sum(weights)) for w in weights]
    for c, width in enumerate(widths):
        table.columns[c].width = width

    bold_rows = {index + 1 for index in data.bold_rows}  # grid row 0 is the header
    for r, values in enumerate(grid):
        row = table.rows[r]
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if r == 0:
            tr_pr.append(OxmlElement("w:tblHeader"))
        for c, value in enumerate(values):
            cell = row.cells[c]
            cell.width = widths[c]
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            para = cell.paragraphs[0]
            para.style = document.styles[STYLE_TABLE_TEXT]
            if r > 0 and not _looks_numeric(value) and len(value) > 8:
                para.alignment = WD_ALIGN_PARAGRAPH.LEFT
            run = _add_run(para, value, FONT_FANGSONG)
            run.font.size = SIZE_TABLE
            if r == 0 or r in bold_rows:
                run.font.bold = True

