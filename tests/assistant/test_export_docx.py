"""Word and Markdown export: a hand-built problems draft, exported and read back with python-docx."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from assistant.export_docx import export_docx, export_markdown
from assistant.models import (
    Draft,
    FigureRef,
    GuardResult,
    Paragraph,
    Section,
    Sentence,
    SourceRef,
    TableData,
    Violation,
)

CITE_A = SourceRef(
    doc_id="000",
    title="宿州市数字资源局2023年度信息化项目绩效评价报告",
    source="000_1557dbc9d3a5337d.txt",
    display="《宿州市数字资源局2023年度信息化项目绩效评价报告》 六、（二） 第1段",
    chunk_id="000:6.2:1",
)
CITE_B = SourceRef(
    doc_id="003",
    title="某区农村人居环境整治项目绩效评价报告",
    source="003_74ff42f95867ce14.txt",
    display="《某区农村人居环境整治项目绩效评价报告》 五、（一） 第2段",
)
AUDIT_RATE = "执行数 767.28 ÷ 预算数 800.00 × 100% = 95.91%"
AUDIT_SCORE = "预算执行率 95.91% ≥ 90%，得满分 5 × 100% = 5.00"
AUDIT_TOTAL = "各指标得分合计 = 86.50"


#: The Chinese names the comments show for the figures' internal keys.
LABELS = {"funds:execution_rate": "预算执行率", "node:项目过程/资金管理/预算执行率:score": "预算执行率得分", "total:score": "总分"}


def sentence(text: str, citations: list[SourceRef] = (), figures: list[tuple[str, str, str | None]] = ()) -> Sentence:
    """A sentence whose figures are given as (text, key, audit); offsets are found in ``text``."""
    refs = []
    for fig_text, key, audit in figures:
        start = text.index(fig_text)
        refs.append(FigureRef(text=fig_text, start=start, end=start + len(fig_text), key=key, audit=audit, label=LABELS.get(key)))
    return Sentence(text=text, citations=list(citations), figures=refs)


def heading(text: str, level: int = 2) -> Paragraph:
    return Paragraph(sentences=[Sentence(text=text)], style="heading", level=level)


def build_draft() -> Draft:
    body1 = Paragraph(
        sentences=[
            sentence(
                "项目预算执行率为95.91%，部分资金未按计划进度拨付。",
                [CITE_A],
                [("95.91%", "funds:execution_rate", AUDIT_RATE)],
            ),
            sentence("其中第四季度集中支付金额达82.64万元，资金使用均衡性不足。"),
            sentence("“预算执行率”指标得5.00分。", figures=[("5.00", "node:项目过程/资金管理/预算执行率:score", AUDIT_SCORE)]),
        ]
    )
    body2 = Paragraph(
        sentences=[
            sentence(
                "部分项目的验收报告、资金支付凭证等档案资料不完整，",
                [CITE_A, CITE_B],
            ),
            sentence("项目单位未建立统一的档案管理制度。", [CITE_B]),
        ]
    )
    body3 = Paragraph(
        sentences=[
            sentence("项目综合得分为86.50分，评价等级为“良”。", figures=[("86.50", "total:score", AUDIT_TOTAL)]),
            sentence("本段数字未接入评分模块：共涉及12个子项目。", figures=[("12", "case:subprojects", None)]),
        ]
    )
    paragraphs = [heading("（一）预算执行进度偏慢"), body1, heading("（二）档案管理工作仍需加强"), body2, body3]
    bad = "82.64"
    bad_start = body1.text.index(bad)
    violation = Violation(
        text=bad,
        start=bad_start,
        end=bad_start + len(bad),
        section="problems",
        paragraph=1,
        reason="数字 82.64 未由评分模块算出",
        nearest="767.28（funds:spent，执行数）",
    )
    table = TableData(
        title="表1 绩效评价指标得分情况",
        header=["一级指标", "分值", "得分", "得分率"],
        rows=[
            ["决策", "20", "18.00", "90.00%"],
            ["过程", "20", "17.50", "87.50%"],
            ["产出", "30", "27.00", "90.00%"],
            ["效益", "30", "24.00", "80.00%"],
            ["合计", "100", "86.50", "86.50%"],
        ],
        bold_rows=[4],
    )
    section = Section(name="problems", title="五、存在的问题及原因分析", paragraphs=paragraphs, tables=[table])
    return Draft(
        project="2023年度宿州市智慧城市建设项目",
        section="problems",
        backend="template",
        sections=[section],
        guard=GuardResult(ok=False, checked=5, violations=[violation]),
        notes=["本草稿有 1 处数字未通过核对（黄色标出），请评价人核对后定稿。"],
    )


@pytest.fixture(scope="module")
def draft() -> Draft:
    return build_draft()


@pytest.fixture(scope="module")
def docx_bytes(draft: Draft) -> bytes:
    return export_docx(draft)


@pytest.fixture(scope="module")
def document(docx_bytes: bytes):
    return Document(io.BytesIO(docx_bytes))


def east_asia(run) -> str | None:
    rpr = run._r.rPr
    if rpr is None or rpr.rFonts is None:
        return None
    return rpr.rFonts.get(qn("w:eastAsia"))


def text_runs(paragraph):
    return [run for run in paragraph.runs if run.text]


def expected_texts(draft: Draft) -> list[str]:
    out = ["2023年度宿州市智慧城市建设项目绩效评价报告"]
    for section in draft.sections:
        out.append(section.title)
        out.extend(paragraph.text for paragraph in section.paragraphs)
        out.extend(table.title for table in section.tables)
    out.append("说明：" + draft.notes[0])
    return out


def comment_anchors(document) -> dict[int, str]:
    """Comment id → the document text between its commentRangeStart and commentRangeEnd."""
    body = document.element.body
    anchors: dict[int, str] = {}
    open_ids: dict[int, list[str]] = {}
    for element in body.iter():
        if element.tag == qn("w:commentRangeStart"):
            open_ids[int(element.get(qn("w:id")))] = []
        elif element.tag == qn("w:commentRangeEnd"):
            cid = int(element.get(qn("w:id")))
            anchors[cid] = "".join(open_ids.pop(cid))
        elif element.tag == qn("w:t"):
            for parts in open_ids.values():
                parts.append(element.text or "")
    assert not open_ids, "every comment range is closed"
    return anchors


# ---------------------------------------------------------------------------


def test_paragraphs_equal_the_draft(document, draft):
    texts = [p.text for p in document.paragraphs]
    assert texts == expected_texts(draft)
    assert len(document.paragraphs) == len(expected_texts(draft))


def test_page_is_a4_with_official_margins(document):
    section = document.sections[0]
    assert abs(section.page_width - Cm(21)) < Cm(0.01)
    assert abs(section.page_height - Cm(29.7)) < Cm(0.01)
    assert abs(section.top_margin - Cm(3.7)) < Cm(0.01)
    assert abs(section.bottom_margin - Cm(3.5)) < Cm(0.01)
    assert abs(section.left_margin - Cm(2.8)) < Cm(0.01)
    assert abs(section.right_margin - Cm(2.6)) < Cm(0.01)


def test_title_and_headings_in_order_with_their_fonts(document, draft):
    paragraphs = document.paragraphs
    title = paragraphs[0]
    assert title.style.name == "Title"
    assert title.alignment is None or int(title.alignment) == 1  # centred by its style
    assert int(title.style.paragraph_format.alignment) == 1
    assert east_asia(title.runs[0]) == "方正小标宋简体"
    assert title.style.font.size == Pt(22)

    headings = [(p.text, p.style.name) for p in paragraphs if p.style.name.startswith("Heading")]
    assert headings == [
        ("五、存在的问题及原因分析", "Heading 1"),
        ("（一）预算执行进度偏慢", "Heading 2"),
        ("（二）档案管理工作仍需加强", "Heading 2"),
    ]
    by_text = {p.text: p for p in paragraphs}
    level1 = by_text["五、存在的问题及原因分析"]
    assert [east_asia(r) for r in text_runs(level1)] == ["黑体"]
    assert level1.style.font.size == Pt(16)
    for text in ("（一）预算执行进度偏慢", "（二）档案管理工作仍需加强"):
        assert {east_asia(r) for r in text_runs(by_text[text])} == {"楷体"}
    # the styles carry the fonts too, with no theme font overriding them
    for name, font in (("Heading 1", "黑体"), ("Heading 2", "楷体"), ("Normal", "仿宋")):
        rfonts = document.styles[name].element.rPr.rFonts
        assert rfonts.get(qn("w:eastAsia")) == font
        assert rfonts.get(qn("w:ascii")) == font
        assert rfonts.get(qn("w:eastAsiaTheme")) is None


def test_level_one_paragraph_heading_is_heiti():
    draft = Draft(
        project="测试项目",
        section="report",
        backend="template",
        sections=[Section(name="report", title="一、基本情况", paragraphs=[heading("二、绩效评价工作开展情况", 1)])],
    )
    doc = Document(io.BytesIO(export_docx(draft)))
    para = doc.paragraphs[2]
    assert para.text == "二、绩效评价工作开展情况"
    assert para.style.name == "Heading 1"
    assert [east_asia(r) for r in text_runs(para)] == ["黑体"]
    assert doc.paragraphs[0].text == "测试项目绩效评价报告"


def test_body_runs_are_fangsong_with_official_paragraph_format(document, draft):
    body_texts = {p.text for p in draft.sections[0].paragraphs if p.style == "body"}
    body = [p for p in document.paragraphs if p.text in body_texts]
    assert len(body) == 3
    for para in body:
        assert para.style.name == "Normal"
        runs = text_runs(para)
        assert runs
        assert {east_asia(r) for r in runs} == {"仿宋"}
    fmt = document.styles["Normal"].paragraph_format
    assert fmt.line_spacing == Pt(28)
    assert fmt.first_line_indent == Pt(32)
    ind = document.styles["Normal"].element.pPr.find(qn("w:ind"))
    assert ind.get(qn("w:firstLineChars")) == "200"
    assert document.styles["Normal"].font.size == Pt(16)


def test_each_sentence_is_its_own_runs(document, draft):
    by_text = {p.text: p for p in document.paragraphs}
    for paragraph in draft.sections[0].paragraphs:
        runs = [r.text for r in text_runs(by_text[paragraph.text])]
        # every sentence boundary is a run boundary
        boundaries = {0}
        position = 0
        for run_text in runs:
            position += len(run_text)
            boundaries.add(position)
        position = 0
        for s in paragraph.sentences:
            position += len(s.text)
            assert position in boundaries


def test_scoring_table(document, draft):
    assert len(document.tables) == 1
    table = document.tables[0]
    data = draft.sections[0].tables[0]
    assert table.style.name == "Table Grid"
    cells = [[cell.text for cell in row.cells] for row in table.rows]
    assert cells == [data.header, *data.rows]
    header = table.rows[0]
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None
    assert all(run.bold for cell in header.cells for run in text_runs(cell.paragraphs[0]))
    for index, row in enumerate(table.rows[1:]):
        runs = [run for cell in row.cells for run in text_runs(cell.paragraphs[0])]
        assert all(bool(run.bold) == (index in data.bold_rows) for run in runs)
        assert {east_asia(run) for run in runs} == {"仿宋"}
        assert {run.font.size for run in runs} == {Pt(12)}
    # the caption sits right above the table
    body = list(document.element.body.iterchildren())
    table_at = body.index(table._tbl)
    caption = body[table_at - 1]
    assert caption.tag == qn("w:p")
    assert "".join(t.text for t in caption.iter(qn("w:t"))) == data.title


def test_comments_carry_citations_and_audits(document):
    comments = {c.comment_id: c for c in document.comments}
    texts = [c.text for c in comments.values()]
    joined = "\n".join(texts)
    assert all(c.author == "jixiao" and c.initials == "JX" for c in comments.values())
    for ref in (CITE_A, CITE_B):
        assert f"引用先例：{ref.display}（{ref.source}）" in joined
    for key, audit in (
        ("funds:execution_rate", AUDIT_RATE),
        ("node:项目过程/资金管理/预算执行率:score", AUDIT_SCORE),
        ("total:score", AUDIT_TOTAL),
    ):
        assert f"数字来源：{LABELS[key]}；算式：{audit}" in texts
        assert key not in joined  # the internal key is never shown
    assert "case:subprojects" not in joined  # no audit, no comment
    # 3 cited sentences + 3 audited figures + 1 violation
    assert len(comments) == 7

    anchors = comment_anchors(document)
    by_text = {comments[cid].text: anchored for cid, anchored in anchors.items()}
    assert by_text[f"数字来源：预算执行率；算式：{AUDIT_RATE}"] == "95.91%"
    assert by_text[f"数字来源：预算执行率得分；算式：{AUDIT_SCORE}"] == "5.00"
    assert by_text[f"数字来源：总分；算式：{AUDIT_TOTAL}"] == "86.50"
    assert by_text[f"引用先例：{CITE_A.display}（{CITE_A.source}）"] == "项目预算执行率为95.91%，部分资金未按计划进度拨付。"
    two = f"引用先例：{CITE_A.display}（{CITE_A.source}）\n引用先例：{CITE_B.display}（{CITE_B.source}）"
    assert by_text[two] == "部分项目的验收报告、资金支付凭证等档案资料不完整，"
    assert by_text["待核：数字 82.64 未由评分模块算出；最接近的合法数字：767.28（funds:spent，执行数）"] == "82.64"


def test_only_the_violation_is_highlighted(document, draft):
    highlighted: list[tuple[int, int, int]] = []  # (paragraph index, start, end)
    for p_index, para in enumerate(document.paragraphs):
        position = 0
        for run in text_runs(para):
            if run.font.highlight_color is not None:
                assert run.font.highlight_color == WD_COLOR_INDEX.YELLOW
                highlighted.append((p_index, position, position + len(run.text)))
            position += len(run.text)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                assert all(run.font.highlight_color is None for run in cell.paragraphs[0].runs)
    violation = draft.guard.violations[0]
    p_index = expected_texts(draft).index(draft.sections[0].paragraphs[violation.paragraph].text)
    assert highlighted == [(p_index, violation.start, violation.end)]
    assert document.paragraphs[p_index].text[violation.start : violation.end] == "82.64"


def test_notes_paragraph_in_kaiti(document, draft):
    last = document.paragraphs[-1]
    assert last.text == "说明：" + draft.notes[0]
    assert {east_asia(r) for r in text_runs(last)} == {"楷体"}


def test_output_is_deterministic(draft):
    first, second = export_docx(draft), export_docx(draft.model_copy(deep=True))
    with zipfile.ZipFile(io.BytesIO(first)) as a, zipfile.ZipFile(io.BytesIO(second)) as b:
        assert a.namelist() == b.namelist()
        for name in ("word/document.xml", "word/styles.xml", "word/footer1.xml"):
            if name in a.namelist():
                assert a.read(name) == b.read(name), name
        # comments differ only in their timestamps
        undated = [re.sub(rb'w:date="[^"]*"', b"", z.read("word/comments.xml")) for z in (a, b)]
        assert undated[0] == undated[1]


def test_violation_located_by_text_when_offsets_are_stale():
    draft = build_draft()
    violation = draft.guard.violations[0]
    draft.guard.violations[0] = violation.model_copy(update={"start": 0, "end": 5, "paragraph": None})
    doc = Document(io.BytesIO(export_docx(draft)))
    marked = [r.text for p in doc.paragraphs for r in p.runs if r.font.highlight_color is not None]
    assert marked == ["82.64"]


def test_unplaceable_violation_goes_to_notes():
    draft = build_draft()
    draft.guard.violations.append(
        Violation(text="77.77", start=0, end=5, section="nowhere", paragraph=0, reason="数字 77.77 未由评分模块算出")
    )
    doc = Document(io.BytesIO(export_docx(draft)))
    assert doc.paragraphs[-1].text.endswith("（2）待核：77.77（数字 77.77 未由评分模块算出）")
    assert "待核：77.77" in export_markdown(draft)


def test_markdown_export(draft):
    md = export_markdown(draft)
    assert md.startswith(draft.markdown().split("82.64")[0])
    assert "其中第四季度集中支付金额达【待核：82.64】万元" in md
    assert md.count("【待核：") == 1
    references = md.split("## 引用\n\n", 1)[1]
    assert references.startswith(
        f"1. {CITE_A.display}（{CITE_A.source}）\n2. {CITE_B.display}（{CITE_B.source}）\n"
    )
    assert "3. " not in references
    assert md.rstrip().endswith("说明：" + draft.notes[0])
    # without the violation mark the body is exactly draft.markdown()
    body = md.split("\n## 引用", 1)[0].replace("【待核：82.64】", "82.64")
    assert body == draft.markdown()
    assert export_markdown(draft) == md
    assert draft.guard.violations[0].text in draft.sections[0].paragraphs[1].text  # draft untouched


# ---------------------------------------------------------------------------
# PDF: the file opens in LibreOffice and renders

# Word/WPS on Windows have 仿宋, 楷体 and 黑体; a Linux box has none of them, and fontconfig would
# set everything in one sans face. For the preview, map each to the nearest free CJK face
# (fonts-noto-cjk; 楷体 → AR PL UKai from fonts-arphic-ukai when installed).
FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <alias binding="same"><family>仿宋</family><prefer><family>Noto Serif CJK SC</family></prefer></alias>
  <alias binding="same"><family>宋体</family><prefer><family>Noto Serif CJK SC</family></prefer></alias>
  <alias binding="same"><family>黑体</family><prefer><family>Noto Sans CJK SC</family></prefer></alias>
  <alias binding="same"><family>楷体</family>
    <prefer><family>AR PL UKai CN</family><family>Noto Serif CJK SC</family></prefer></alias>
  <match target="pattern">
    <test name="family"><string>方正小标宋简体</string></test>
    <edit name="family" mode="assign" binding="strong"><string>Noto Serif CJK SC</string></edit>
    <edit name="weight" mode="assign" binding="strong"><const>bold</const></edit>
  </match>
</fontconfig>
"""


def test_renders_to_pdf_with_libreoffice(docx_bytes, tmp_path: Path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice not installed")
    from pypdf import PdfReader

    fonts_conf = tmp_path / "fonts.conf"
    fonts_conf.write_text(FONTS_CONF, encoding="utf-8")
    env = {**os.environ, "FONTCONFIG_FILE": str(fonts_conf)}
    source = tmp_path / "draft.docx"
    source.write_bytes(docx_bytes)
    outdir = tmp_path / "pdf"
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--headless",
            "--convert-to",
            # export the Word comments as PDF notes too, so we can see they survive the import
            'pdf:writer_pdf_Export:{"ExportNotes":{"type":"boolean","value":"true"}}',
            "--outdir",
            str(outdir),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    pdf = outdir / "draft.pdf"
    assert pdf.exists(), result.stdout + result.stderr
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 1
    text = "".join(page.extract_text() or "" for page in reader.pages)
    compact = "".join(text.split())
    assert "存在的问题及原因分析" in compact
    assert "绩效评价指标得分情况" in compact
    notes = [
        str(annot.get_object().get("/Contents"))
        for page in reader.pages
        for annot in page.get("/Annots") or []
        if annot.get_object().get("/Subtype") == "/Text"
    ]
    assert len(notes) == 7  # every comment made it through LibreOffice's import
    assert any(note.startswith("待核：数字 82.64") for note in notes)
    print(f"PDF: {pdf} ({len(reader.pages)} pages)")

    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        print("pdftoppm not installed: no PNG rendered")
        return
    subprocess.run(
        [pdftoppm, "-png", "-hide-annotations", "-r", "80", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
        capture_output=True,  # poppler complains about the notes' popup boxes; harmless
    )
    pngs = sorted(tmp_path.glob("page*.png"))
    assert pngs and pngs[0].stat().st_size > 0
    print(f"page 1 PNG: {pngs[0]}")


def test_a_case_snippet_keeps_dates_and_numbers_whole() -> None:
    """A figure's audit quotes the case around the number without cutting a date (12月31日 never reads 2月31日)."""
    from assistant.figures import snippet_around

    text = "经核查，该项目于2023年12月31日完成验收，支付金额31.50万元，其中1250.5万元为尾款"
    at = text.index("31.50")
    snippet = snippet_around(text, at, at + 5, 14)
    assert "2023年12月31日" in snippet and "1250.5万元" in snippet
    assert text[at - 14:at] == "2月31日完成验收，支付金额"  # what a plain cut would give


def test_a_project_name_longer_than_a_core_property_holds() -> None:
    """Word's document properties hold 255 characters; the title in the body keeps the whole name."""
    draft = build_draft().model_copy(update={"project": "某市" + "信息化运维" * 80 + "项目"})
    doc = Document(io.BytesIO(export_docx(draft)))
    assert len(doc.core_properties.title) == 255 and doc.core_properties.title.endswith("…")
    assert doc.paragraphs[0].text == draft.project + "绩效评价报告"
