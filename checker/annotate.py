"""The reviewer's copy: the report with every finding as a Word comment, and mechanical corrections as tracked changes.

:func:`annotate_report` takes a report's bytes and name (and its
:class:`~checker.findings.CheckReport`, checked if not given) and returns a
.docx:

- a .docx report is annotated in place: each finding becomes a comment
  anchored at the run holding the figure it concerns (the run is split so the
  comment covers exactly that figure), or at its sentence when no figure is
  written there;
- a .txt, .md or .pdf report is first rendered as a .docx (headings,
  paragraphs, tables), then annotated the same way;
- a summary comment on the first paragraph gives the counts, the stated and
  recomputed total and grade, and lists any finding whose place could not be
  found;
- where the correction is mechanical (a stated figure that should be the
  recomputed one: sums, totals, rates, ratios, fund identities, a grade) the
  figure is also replaced as a tracked change (``w:del`` + ``w:ins``) that the
  reviewer accepts or rejects in Word, WPS or LibreOffice.
"""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Pt
from docx.table import Table as DocxTable
from docx.table import _Cell, _Row
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from checker.document import CheckError, ReportDoc, Segment, load_report_bytes, squash
from checker.findings import KINDS, CheckReport, Finding, Place
from scoring.numbers import fmt_short
from scoring.numparse import ParsedNumber, find_numbers

AUTHOR = "jixiao 报告核对"
INITIALS = "JX"
SEVERITY_NAMES = {"error": "错误", "warning": "提示", "info": "说明"}
#: Kinds whose recomputed figure replaces the stated one mechanically (not "repeated": which one is right is not known).
MECHANICAL_KINDS = frozenset({"leaf_sum", "weight_sum", "total", "rate", "ratio", "fund", "grade"})
#: ... except a report's own ``A = B + C`` identity: either side may be the wrong one.
_NOT_MECHANICAL = "按报告自身的口径"
_FONT = "宋体"


@dataclass
class _Unit:
    """A paragraph of the Word document and the plain text of its runs."""

    paragraph: Paragraph
    text: str


def annotate_report(data: bytes, name: str, report: CheckReport | None = None) -> bytes:
    """The annotated copy (.docx bytes) of the report ``data`` named ``name`` (see the module docstring).

    Raises :class:`~checker.document.CheckError` for unreadable input.
    """
    from checker.check import check_document

    doc = load_report_bytes(data, name)
    if report is None:
        report = check_document(doc)
    if Path(name).suffix.lower() == ".docx":
        try:
            word = docx.Document(io.BytesIO(data))
        except Exception as exc:  # a .docx the loader read but python-docx cannot open
            raise CheckError(f"无法打开 {Path(name).name} 以添加批注（{type(exc).__name__}）") from None
        annotator = _Annotator(word, doc, rendered=None)
    else:
        word, rendered = _render(doc)
        annotator = _Annotator(word, doc, rendered=rendered)
    annotator.annotate(report)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def annotated_filename(name: str) -> str:
    """The download name of a report's annotated copy: ``评价报告.pdf`` → ``评价报告_审核稿.docx``."""
    stem = Path(name.replace("\\", "/")).stem or "报告"
    return f"{stem}_审核稿.docx"


def annotate_file(path: str | Path, out: str | Path, report: CheckReport | None = None) -> int:
    """Write the annotated copy of the report at ``path`` to ``out``; returns the number of findings."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CheckError(f"无法读取 {path.name}：{exc.strerror or exc}") from None
    if report is None:
        from checker.check import check_bytes

        report = check_bytes(data, path.name)
    content = annotate_report(data, path.name, report)
    from scoring.io import write_atomic

    write_atomic(Path(out), content)
    return len(report.findings)


# ── rendering a text report as .docx ────────────────────────────────────────


def _render(doc: ReportDoc) -> tuple[DocxDocument, dict[int, list[_Unit]]]:
    """A .docx of ``doc``'s segments; segment index → the paragraphs it became (one per table cell)."""
    from retrieval.chunking import numbered_heading_rank

    word = docx.Document()
    style = word.styles["Normal"]
    style.font.name = _FONT
    style.font.size = Pt(10.5)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), _FONT)
    rendered: dict[int, list[_Unit]] = {}
    table_of = {id(row): table for table in doc.tables for row in table.rows}
    done: set[int] = set()
    for segment in doc.segments:
        if segment.kind == "table_row":
            table = table_of.get(id(segment))
            if table is None or id(table) in done:
                continue
            done.add(id(table))
            width = max(len(row.cells) for row in table.rows)
            grid = word.add_table(rows=len(table.rows), cols=max(width, 1))
            grid.style = "Table Grid"
            for row, word_row in zip(table.rows, grid.rows):
                units = []
                cells = word_row.cells  # once per row: table.cell(r, c) rescans the whole table
                for c in range(width):
                    paragraph = cells[c].paragraphs[0]
                    text = row.cells[c] if c < len(row.cells) else ""
                    if text:
                        paragraph.add_run(text)
                    units.append(_Unit(paragraph, text))
                rendered[row.index] = units
            continue
        if segment.kind == "heading":
            rank = numbered_heading_rank(segment.text) or 1
            paragraph = word.add_paragraph(style=f"Heading {min(max(rank, 1), 3)}")
        else:
            paragraph = word.add_paragraph()
        paragraph.add_run(segment.text)
        rendered[segment.index] = [_Unit(paragraph, segment.text)]
    return word, rendered


# ── runs ─────────────────────────────────────────────────────────────────────


def _run_text(run: Run) -> str:
    return run.text


def _runs(paragraph: Paragraph) -> list[Run]:
    return [Run(r, paragraph) for r in paragraph._p.xpath("./w:r")]


def _paragraph_text(paragraph: Paragraph) -> str:
    return "".join(_run_text(run) for run in _runs(paragraph))


def _simple(run: Run) -> bool:
    """A run holding one ``w:t`` and nothing else but its properties (safe to split)."""
    children = [child for child in run._r if child.tag != qn("w:rPr")]
    return len(children) == 1 and children[0].tag == qn("w:t")


def _split(run: Run, at: int) -> Run:
    """Split ``run`` at character ``at``; returns the new run holding the text from ``at`` on."""
    text = run.text
    clone = copy.deepcopy(run._r)
    run._r.addnext(clone)
    for element, part in ((run._r, text[:at]), (clone, text[at:])):
        t = element.find(qn("w:t"))
        t.text = part
        t.set(qn("xml:space"), "preserve")
    return Run(clone, run._parent)


def _isolate(paragraph: Paragraph, start: int, end: int) -> list[Run]:
    """The runs covering exactly ``[start, end)`` of the paragraph's run text, splitting runs where needed."""
    result: list[Run] = []
    offset = 0
    for run in _runs(paragraph):
        text = _run_text(run)
        run_start, run_end = offset, offset + len(text)
        offset = run_end
        if run_end <= start or run_start >= end or not text:
            continue
        if _simple(run):
            if run_start < start:
                run = _split(run, start - run_start)
                run_start = start
            if run_end > end:
                _split(run, end - run_start)
        result.append(run)
    return result


# ── tracked change ───────────────────────────────────────────────────────────


class _Revisions:
    def __init__(self) -> None:
        self.next_id = 9000
        self.date = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _mark(self, tag: str) -> BaseOxmlElement:
        element = OxmlElement(tag)
        element.set(qn("w:id"), str(self.next_id))
        element.set(qn("w:author"), AUTHOR)
        element.set(qn("w:date"), self.date)
        self.next_id += 1
        return element

    def replace(self, runs: list[Run], new_text: str) -> None:
        """Mark ``runs`` deleted and insert ``new_text`` after them, with the first run's formatting."""
        first = runs[0]._r
        inserted_run = copy.deepcopy(first)
        for child in list(inserted_run):
            if child.tag != qn("w:rPr"):
                inserted_run.remove(child)
        t = OxmlElement("w:t")
        t.text = new_text
        t.set(qn("xml:space"), "preserve")
        inserted_run.append(t)
        deleted = self._mark("w:del")
        first.addprevious(deleted)
        for run in runs:
            for text in run._r.findall(qn("w:t")):
                text.tag = qn("w:delText")
            deleted.append(run._r)
        inserted = self._mark("w:ins")
        inserted.append(inserted_run)
        deleted.addnext(inserted)


# ── placing findings ─────────────────────────────────────────────────────────


def _number_text(value: Decimal, like: ParsedNumber) -> str:
    """``value`` written the way ``like`` is: its decimals, thousands separators and percent sign."""
    decimals = max(like.decimals, 0)
    text = f"{value:,.{decimals}f}" if "," in like.text else f"{value:.{decimals}f}"
    if like.text.rstrip().endswith(("%", "％")):
        text += like.text.rstrip()[-1]
    return text


def _as_decimal(value: object) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


def _figure(text: str, stated: Decimal, near: int) -> ParsedNumber | None:
    """The number of ``text`` that writes ``stated`` (its value or its value in base units), nearest after ``near``."""
    matches = []
    for number in find_numbers(text):
        if number.role != "quantity":
            continue
        if number.value == stated or (number.measure == "money" and number.base_value == stated):
            matches.append(number)
    if not matches:
        return None
    after = [number for number in matches if number.start >= near]
    return (after or matches)[0]


class _Annotator:
    def __init__(self, word: DocxDocument, doc: ReportDoc, rendered: dict[int, list[_Unit]] | None) -> None:
        self.word = word
        self.doc = doc
        self.rendered = rendered
        self.revisions = _Revisions()
        self.corrections: list[tuple[list[Run], str]] = []  # applied after every comment is placed
        self.lines = [(doc.line_of(segment.pos(0)), segment) for segment in doc.segments]
        self._units: list[_Unit] | None = None
        self._rows: list[tuple[list[str], list[_Unit]]] | None = None

    # -- the Word paragraphs of a segment --
    def _all_units(self) -> list[_Unit]:
        if self._units is None:
            self._units = [_Unit(p, _paragraph_text(p)) for p in _iter_paragraphs(self.word)]
        return self._units

    def _all_rows(self) -> list[tuple[list[str], list[_Unit]]]:
        """Every table row: its cell texts and the paragraphs of its cells."""
        if self._rows is None:
            self._rows = []
            for table in _iter_tables(self.word):
                for row in table.rows:
                    cells = _unique_cells(row)
                    units = [_Unit(p, _paragraph_text(p)) for cell in cells for p in cell.paragraphs]
                    self._rows.append(([_cell_text(cell) for cell in cells], units))
        return self._rows

    def segment_of(self, place: Place) -> Segment | None:
        best: Segment | None = None
        for line, segment in self.lines:
            if line == place.line:
                key = squash(place.quote.rstrip("…"))[:12]
                if key and key in squash(" ".join(segment.cells) if segment.cells else segment.text):
                    return segment
                best = best or segment
            elif line > place.line:
                break
        return best

    def units_of(self, segment: Segment) -> list[_Unit]:
        if self.rendered is not None:
            return self.rendered.get(segment.index, [])
        if segment.kind == "table_row":
            cells = [squash(cell) for cell in segment.cells if cell.strip()]
            for texts, units in self._all_rows():
                written = [squash(text) for text in texts if text.strip()]
                if written and written[: len(cells)] == cells[: len(written)] and len(set(written) & set(cells)) >= min(len(cells), 2):
                    return units
            return []
        key = squash(segment.text)
        for unit in self._all_units():
            if key and key in squash(unit.text):
                return [unit]
        for unit in self._all_units():
            if key[:20] and key[:20] in squash(unit.text):
                return [unit]
        return []

    # -- anchoring --
    def anchor(self, place: Place, stated: Decimal | None, word: str | None = None) -> tuple[list[Run], ParsedNumber | None, _Unit] | None:
        segment = self.segment_of(place)
        if segment is None:
            return None
        units = self.units_of(segment)
        if not units:
            return None
        if stated is not None:
            quote = place.quote.rstrip("…")
            for unit in units:
                near = unit.text.find(quote[:10]) if segment.kind != "table_row" else 0
                number = _figure(unit.text, stated, max(near, 0))
                if number is not None:
                    runs = _isolate(unit.paragraph, number.start, number.end)
                    if runs:
                        return runs, number, unit
        quote = place.quote.rstrip("…")
        if word:  # a grade: the word itself, in its quotes (评价等级为“良”)
            for unit in units:
                near = max(unit.text.find(quote[:10]), 0)
                at = unit.text.find(f"“{word}”", near)
                if at >= 0:
                    runs = _isolate(unit.paragraph, at + 1, at + 1 + len(word))
                    if runs:
                        return runs, None, unit
        unit = next((u for u in units if u.text.strip()), units[0])
        start = unit.text.find(quote[:10]) if segment.kind != "table_row" else -1
        start, end = (start, start + len(quote)) if start >= 0 else (0, len(unit.text))
        runs = _isolate(unit.paragraph, start, min(end, len(unit.text)))
        return (runs, None, unit) if runs else None

    def annotate(self, report: CheckReport) -> None:
        unplaced: list[Finding] = []
        for number, finding in enumerate(report.findings, 1):
            placed = False
            for i, place in enumerate(finding.places):
                stated = _as_decimal(finding.stated) if i == 0 else None
                word = finding.stated if i == 0 and finding.kind == "grade" and isinstance(finding.stated, str) else None
                anchored = self.anchor(place, stated if i == 0 else _as_decimal(finding.recomputed) or _as_decimal(finding.stated), word)
                if anchored is None:
                    continue
                runs, figure, _ = anchored
                text = _comment_text(number, finding) if i == 0 else f"（第 {number} 条问题涉及此处）{finding.explanation}"
                self.word.add_comment(runs, text=text, author=AUTHOR, initials=INITIALS)
                placed = True
                if i == 0:
                    self._correct(finding, runs, figure)
            if not placed:
                unplaced.append(finding)
        self._summary(report, unplaced)
        # Tracked changes last: moving runs into w:del earlier would shift the text later comments are placed by.
        for runs, text in self.corrections:
            if all(run._r.getparent() is not None and run._r.getparent().tag == qn("w:p") for run in runs):
                self.revisions.replace(runs, text)

    def _correct(self, finding: Finding, runs: list[Run], figure: ParsedNumber | None) -> None:
        if finding.kind not in MECHANICAL_KINDS or finding.explanation.startswith(_NOT_MECHANICAL):
            return
        recomputed = finding.recomputed
        if isinstance(recomputed, Decimal) and figure is not None:
            value = recomputed if figure.value == finding.stated else recomputed / figure.scale
            self.corrections.append((runs, _number_text(value, figure)))
        elif isinstance(recomputed, str) and isinstance(finding.stated, str) and "".join(r.text for r in runs) == finding.stated:
            self.corrections.append((runs, recomputed))

    def _summary(self, report: CheckReport, unplaced: list[Finding]) -> None:
        first = next((p for p in _iter_paragraphs(self.word) if _paragraph_text(p).strip()), None)
        if first is None:
            first = self.word.paragraphs[0] if self.word.paragraphs else self.word.add_paragraph()
        runs = _runs(first) or [first.add_run("")]
        counts = {name: sum(1 for f in report.findings if f.severity == key) for key, name in SEVERITY_NAMES.items()}
        lines = [
            "报告核对（jixiao check）：" + ("，".join(f"{name} {count} 条" for name, count in counts.items() if count) or "未发现前后不一致之处"),
            f"总分：报告写 {_show(report.stated_total)}，重算 {_show(report.recomputed_total)}（满分 {_show(report.full_score)}）；"
            f"等级：报告写 {report.stated_grade or '—'}，重算 {report.recomputed_grade or '—'}。",
        ]
        if report.findings:
            lines.append("各条问题以批注标在原文处；可机械更正的数字已作为修订（接受或拒绝）。")
        for finding in unplaced:
            lines.append(f"未能在原文中定位：[{SEVERITY_NAMES[finding.severity]}] {finding.explanation}")
        comment = self.word.add_comment(runs[0], text=lines[0], author=AUTHOR, initials=INITIALS)
        for line in lines[1:]:
            comment.add_paragraph(line)


def _show(value: Decimal | None) -> str:
    return "—" if value is None else fmt_short(value, 4)


def _comment_text(number: int, finding: Finding) -> str:
    stated = "—" if finding.stated is None else str(finding.stated)
    recomputed = "—" if finding.recomputed is None else str(finding.recomputed)
    return (f"{number}. [{SEVERITY_NAMES[finding.severity]}] {KINDS.get(finding.kind, finding.kind)}\n"
            f"报告所写：{stated}；重算：{recomputed}\n{finding.explanation}")


def _iter_tables(word: DocxDocument) -> list[DocxTable]:
    found: list[DocxTable] = []

    def walk(tables: list[DocxTable]) -> None:
        for table in tables:
            found.append(table)
            for row in table.rows:
                for cell in row.cells:
                    walk(cell.tables)

    walk(word.tables)
    return found


def _unique_cells(row: _Row) -> list[_Cell]:
    """A row's cells, a merged cell once."""
    cells: list[_Cell] = []
    seen: set[int] = set()
    for cell in row.cells:
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            cells.append(cell)
    return cells


def _cell_text(cell: _Cell) -> str:
    return "\n".join(_paragraph_text(p) for p in cell.paragraphs)


def _iter_paragraphs(word: DocxDocument) -> list[Paragraph]:
    """Every paragraph of the body, those in table cells included, in document order."""
    body = word.element.body
    return [Paragraph(p, word._body) for p in body.iter(qn("w:p"))]

