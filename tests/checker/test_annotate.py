"""The reviewer's copy (``jixiao check --annotate``): comments at the figures, tracked corrections, a clean .docx."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from conftest import ROOT, seed_path

from checker import check_bytes
from checker.annotate import AUTHOR, annotate_report

SEEDS = ("000", "001", "002", "003", "004")


def comments(data: bytes) -> list[tuple[str, str]]:
    """(anchored text, comment text) of every comment, read back from the document XML."""
    from docx.oxml.ns import qn

    word = docx.Document(io.BytesIO(data))
    texts = {comment.comment_id: comment.text for comment in word.comments}
    body = word.element.body
    anchored: dict[int, list[str]] = {}
    open_ids: set[int] = set()
    for element in body.iter():
        if element.tag == qn("w:commentRangeStart"):
            open_ids.add(int(element.get(qn("w:id"))))
        elif element.tag == qn("w:commentRangeEnd"):
            open_ids.discard(int(element.get(qn("w:id"))))
        elif element.tag in (qn("w:t"), qn("w:delText")) and element.text:
            for comment_id in open_ids:
                anchored.setdefault(comment_id, []).append(element.text)
    return [("".join(anchored.get(comment_id, [])), text) for comment_id, text in texts.items()]


def document_xml(data: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode("utf-8")


@pytest.fixture(scope="module")
def annotated() -> dict[str, bytes]:
    out = {}
    for number in SEEDS:
        path = seed_path(number)
        out[number] = annotate_report(path.read_bytes(), path.name)
    return out


def test_every_seed_finding_is_a_comment_at_its_figure(annotated: dict[str, bytes]) -> None:
    for number in SEEDS:
        path = seed_path(number)
        report = check_bytes(path.read_bytes(), path.name)
        found = comments(annotated[number])
        summary = [text for _, text in found if text.startswith("报告核对")]
        assert len(summary) == 1 and "未能在原文中定位" not in summary[0], (number, summary)
        for i, finding in enumerate(report.findings, 1):
            (anchor, text) = next((a, t) for a, t in found if t.startswith(f"{i}. "))
            assert finding.explanation in text and "报告所写" in text
            if isinstance(finding.stated, Decimal) and finding.kind != "count":
                assert anchor.replace(",", "").rstrip("%") .startswith(str(finding.stated).split(".")[0]), (number, anchor, finding.stated)


def test_mechanical_corrections_are_tracked_changes(annotated: dict[str, bytes]) -> None:
    xml = document_xml(annotated["001"])
    assert f'w:author="{AUTHOR}"' in xml
    deleted = xml.index("<w:delText")
    assert "1466.61" in xml[deleted: deleted + 80] and "1468.25" in xml[deleted: deleted + 600]
    assert "<w:del " in document_xml(annotated["002"]) and "99.78%" in document_xml(annotated["002"])  # 99.83% → 99.78%
    # a repeated figure is not corrected (which one is right is the reviewer's call)
    assert "<w:delText" not in document_xml(annotated["001"]).split("1456")[0][-300:]


def test_reopens_with_python_docx_and_keeps_the_text(annotated: dict[str, bytes]) -> None:
    word = docx.Document(io.BytesIO(annotated["004"]))
    text = "\n".join(p.text for p in word.paragraphs)
    assert "永州市" in text and len(word.tables) >= 5


def docx_report(tmp_path: Path) -> Path:
    """A small .docx whose stated total (92, split over two runs) disagrees with its table (91)."""
    document = docx.Document()
    document.add_paragraph("某项目绩效评价报告")
    paragraph = document.add_paragraph()
    for piece in ("经综合评价，项目综合得分", "9", "2分", "，评价等级为“优”。"):
        paragraph.add_run(piece)
    rows = [("一级指标", "二级指标", "三级指标", "分值", "得分"), ("决策", "项目立项", "立项依据充分性", "10", "9"),
            ("", "", "立项程序规范性", "10", "10"), ("过程", "资金管理", "预算执行率", "80", "72"), ("合计", "", "", "100", "91")]
    table = document.add_table(rows=len(rows), cols=5)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            table.cell(i, j).text = cell
    path = tmp_path / "report.docx"
    document.save(path)
    return path


def test_a_docx_report_is_annotated_in_place(tmp_path: Path) -> None:
    path = docx_report(tmp_path)
    report = check_bytes(path.read_bytes(), path.name)
    total = next(f for f in report.findings if f.kind == "total" and f.stated == 92)
    data = annotate_report(path.read_bytes(), path.name, report)
    found = comments(data)
    # exactly the figure, written across two runs: "92" deleted, "91" inserted, nothing else under the comment
    assert any(anchor == "92" + "91" and total.explanation in text for anchor, text in found)
    xml = document_xml(data)
    assert ">9</w:delText>" in xml and ">2</w:delText>" in xml
    assert '<w:t xml:space="preserve">91</w:t></w:r></w:ins>' in xml and '<w:t xml:space="preserve">分</w:t>' in xml
    word = docx.Document(io.BytesIO(data))
    assert word.tables[0].cell(4, 4).text == "91"  # the original table is untouched


def test_libreoffice_opens_the_copy(tmp_path: Path, annotated: dict[str, bytes]) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    source = tmp_path / "001_annotated.docx"
    source.write_bytes(annotated["001"])
    (tmp_path / "docx_annotated.docx").write_bytes(annotate_report(docx_report(tmp_path).read_bytes(), "report.docx"))
    proc = subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                           "--outdir", str(tmp_path), str(source), str(tmp_path / "docx_annotated.docx")],
                          capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr
    for name in ("001_annotated.pdf", "docx_annotated.pdf"):
        pdf = tmp_path / name
        assert pdf.exists() and pdf.stat().st_size > 5000, proc.stdout + proc.stderr
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(tmp_path / "001_annotated.pdf"), "-"], capture_output=True, text=True, check=False).stdout
        assert "1468.25" in text and "朔州市" in text


def test_cli_annotate_and_errors(tmp_path: Path) -> None:
    out = tmp_path / "审核稿.docx"
    proc = subprocess.run([sys.executable, "-m", "jixiao", "check", str(seed_path("003")), "--annotate", str(out)],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    assert out.exists() and "审核用副本" in proc.stderr
    assert len(comments(out.read_bytes())) >= 3
    for bad in (tmp_path / "x.pdf", tmp_path / "missing" / "x.docx"):
        proc = subprocess.run([sys.executable, "-m", "jixiao", "check", str(seed_path("003")), "--annotate", str(bad)],
                              capture_output=True, text=True, cwd=ROOT, check=False)
        assert proc.returncode == 2 and proc.stderr.strip().splitlines()[-1].startswith("错误：") and "Traceback" not in proc.stderr


def test_what_the_api_route_calls(tmp_path: Path) -> None:
    """``POST /v1/check?annotate=docx``: check_bytes, then annotate_report with that report, served as a .docx."""
    from checker.annotate import DOCX_MEDIA_TYPE, annotated_filename

    path = seed_path("002")
    data = path.read_bytes()
    report = check_bytes(data, path.name)
    content = annotate_report(data, path.name, report)
    assert content[:2] == b"PK" and DOCX_MEDIA_TYPE.endswith("document")
    assert annotated_filename("C:\\报告\\评价报告.pdf") == "评价报告_审核稿.docx"
    text = (ROOT / "corpus" / "reports" / "r02_dengbao.md").read_text(encoding="utf-8")  # a JSON {"text", "name"} body
    assert len(comments(annotate_report(text.encode("utf-8"), "r02.md"))) == 1  # clean: the summary comment only


def test_a_wrong_grade_is_corrected_as_a_tracked_change() -> None:
    text = (ROOT / "corpus" / "reports" / "r02_dengbao.md").read_text(encoding="utf-8").replace("评价等级为“中”", "评价等级为“良”")
    data = annotate_report(text.encode("utf-8"), "r02.md")
    assert any(anchor == "良中" and "等级" in note for anchor, note in comments(data))
    xml = document_xml(data)
    assert ">良</w:delText>" in xml and '<w:t xml:space="preserve">中</w:t></w:r></w:ins>' in xml
