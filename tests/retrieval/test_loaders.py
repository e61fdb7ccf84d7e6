"""Loaders on real files: the seed reports, our corpus, .docx and .pdf built here, and bad input of every kind."""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from pypdf import PdfReader, PdfWriter
from ruamel.yaml import YAML

from conftest import ROOT, make_pdf, seed_path
from retrieval.chunking import chunk_document
from core.plugins import hookimpl, register_plugin, unregister_plugin
from retrieval.loaders import base as loader_base
from retrieval.loaders import LOADERS, SUPPORTED_EXTENSIONS, LoadError, LoaderSpec, load_bytes, load_document
from retrieval.models import LoadedDocument

CORPUS = ROOT / "corpus"
SEED_NUMBERS = ["000", "001", "002", "003", "004"]


def assert_offsets(doc: LoadedDocument) -> None:
    assert doc.blocks
    for block in doc.blocks:
        assert doc.text[block.start:block.end] == block.text
        assert block.text.strip(), block


def make_docx(path: Path) -> Path:
    """A report with a title, styled headings, an outline-level heading and a 2×3 table with a merged cell."""
    document = docx.Document()
    document.add_paragraph("2023年青川市测试项目绩效评价报告", style="Title")
    document.add_paragraph("一、基本情况", style="Heading 1")
    document.add_paragraph("（一）项目概况", style="Heading 2")
    document.add_paragraph("本项目预算100万元，实际支出95万元。")
    table = document.add_table(rows=2, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 1))
    merged.text = "指标"
    table.cell(0, 2).text = "分值"
    for i, text in enumerate(["预算执行率", "95%", "2"]):
        table.cell(1, i).text = text
    document.add_paragraph("表后说明。")
    custom = document.styles.add_style("标题 3", WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("资金情况", style=custom)
    outlined = document.add_paragraph("六、存在的问题")
    ppr = outlined._p.get_or_add_pPr()
    level = OxmlElement("w:outlineLvl")
    level.set(qn("w:val"), "0")
    ppr.append(level)
    document.add_paragraph("资金拨付不及时。")
    document.save(path)
    return path


def front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return YAML(typ="safe", pure=True).load(text.split("---")[1])


# ---- registry ------------------------------------------------------------


def test_builtin_formats_are_registered() -> None:
    assert {".txt", ".md", ".docx", ".pdf"} <= set(SUPPORTED_EXTENSIONS)


class _JxTestPlugin:
    """A third-party loader, registered through the same hook as the built-ins."""

    @hookimpl
    def register_loaders(self, register: Any) -> None:
        register(LoaderSpec(name="jxtest", extensions=(".JXTEST",), load=_plain))


def test_plugin_loader_dispatches_case_insensitively(tmp_path: Path) -> None:
    name = register_plugin(_JxTestPlugin(), "jxtest-loader")
    try:
        assert ".jxtest" in SUPPORTED_EXTENSIONS
        assert LOADERS.owner("jxtest") == "jxtest-loader"
        target = tmp_path / "Sample.JxTest"
        target.write_text("2023年测试项目绩效评价报告\n正文。", encoding="utf-8")
        doc = load_document(target)
        assert doc.meta.title == "2023年测试项目绩效评价报告"
        assert load_bytes(target.read_bytes(), "上传.jxtest").meta.title == doc.meta.title
    finally:
        unregister_plugin(name)
    assert ".jxtest" not in SUPPORTED_EXTENSIONS


def test_load_bytes_reads_an_upload_like_the_file(tmp_path: Path) -> None:
    source = ROOT / "corpus" / "reports" / "r01_zhengwuyun.md"
    from_file = load_document(source)
    from_bytes = load_bytes(source.read_bytes(), source.name)
    assert from_bytes.text == from_file.text and from_bytes.meta.title == from_file.meta.title
    with pytest.raises(LoadError, match="文件为空"):
        load_bytes(b"", "a.md")
    with pytest.raises(LoadError, match="不支持的文件类型"):
        load_bytes(b"x", "a.exe")


def test_builtin_loaders_register_through_the_plugin_hook() -> None:
    assert {LOADERS.owner(name) for name in ("docx", "pdf", "txt")} == {"retrieval.loaders"}


def _plain(path: Path, data: bytes) -> LoadedDocument:
    builder = loader_base.TextBuilder()
    for line in data.decode("utf-8").splitlines():
        builder.add(line, "paragraph")
    return LoadedDocument(meta=loader_base.build_meta(path, builder.text), text=builder.text, blocks=builder.blocks)


# ---- text and Markdown -------------------------------------------------------


@pytest.mark.parametrize("number", SEED_NUMBERS)
def test_seed_loads_with_exact_offsets(number: str) -> None:
    doc = load_document(seed_path(number))
    assert_offsets(doc)
    assert doc.meta.doc_id == seed_path(number).stem
    assert doc.meta.source == seed_path(number).name
    assert doc.meta.kind == "report"
    assert "\r" not in doc.text


#: What a reviewer reads off each seed's cover or opening paragraph.
SEED_META = {
    # cover lines joined
    "000": ("宿州市2023年度城市智脑信息化项目绩效评价报告", 2023, "宿州市", "安徽省安策智库咨询有限公司", "第三方评价"),
    "001": ("2022年朔州市数字政府基础设施建设项目绩效评价报告", 2022, "朔州市", "山西恒升致远会计师事务所（普通合伙）", "第三方评价"),
    # "2023 年度…" with export spaces; a self-evaluation ("我办…自评得分") whose only place name is 六安市
    "002": ("2023年度信息化项目建设项目绩效评价报告", 2023, "六安市", None, "自评"),
    "003": ("苏州市级财政支出项目绩效自我评价报告", 2020, "苏州市", None, "自评"),
    # a bare "项目绩效评价报告" heading (bookmarks stripped); the opening paragraph quotes the real title
    "004": ("2023年永州市公共服务信息化运维项目绩效评价报告", 2023, "永州市", "湖南省效政管理咨询有限公司", "第三方评价"),
}


@pytest.mark.parametrize("number", SEED_NUMBERS)
def test_seed_metadata_is_inferred(number: str) -> None:
    meta = load_document(seed_path(number)).meta
    assert (meta.title, meta.year, meta.region, meta.evaluator, meta.report_kind) == SEED_META[number]


def test_seed_projects_and_years() -> None:
    assert load_document(seed_path("001")).meta.project == "朔州市数字政府基础设施建设项目"
    assert load_document(seed_path("003")).meta.project == "苏州市级财政支出项目"
    assert load_document(seed_path("004")).meta.project == "永州市公共服务信息化运维项目"
    # 000 has no title line; its first "20xx年" (2019) is a policy date, 2023 the evaluated year.
    assert load_document(seed_path("000")).meta.year == 2023


def test_seed_tables_become_rows() -> None:
    doc = load_document(seed_path("004"))
    rows = [b for b in doc.blocks if b.kind == "table_row"]
    assert rows, "cell-per-line tables must be read as rows"
    header = next(b for b in rows if "问题定性" in b.text)
    assert header.text.count("\t") == 7 and "\n" in header.text  # seven cells, one per line
    doc = load_document(seed_path("003"))
    assert any(b.kind == "table_row" and "预算执行率\t=100%\t6\t=93%\t6" in b.text for b in doc.blocks)
    assert not any("------" in b.text for b in doc.blocks), "page-break debris is not a block"


@pytest.mark.parametrize("path", sorted((CORPUS / "reports").glob("r*.md")) + sorted((CORPUS / "policies").glob("*.md")),
                         ids=lambda p: p.stem)
def test_corpus_front_matter_becomes_metadata(path: Path) -> None:
    doc = load_document(path)
    assert_offsets(doc)
    front = front_matter(path)
    assert doc.meta.title == front["title"]
    assert doc.meta.year == front.get("year")
    assert doc.meta.region == front.get("region")
    assert doc.meta.kind == front["kind"]
    if "project" in front:
        assert doc.meta.project == front["project"]
    assert not doc.text.startswith("---") and "evaluator:" not in doc.text[:200]
    assert path.read_text(encoding="utf-8").endswith(doc.text)  # offsets are relative to the text after front matter
    headings = [b for b in doc.blocks if b.kind == "heading"]
    assert headings and all(not b.text.startswith("#") and b.level for b in headings)


def test_gbk_text_is_decoded(tmp_path: Path) -> None:
    content = "2023年临江市测试项目绩效评价报告\r\n一、基本情况\r\n本项目预算１００万元，资金到位率100%。\r\n"
    path = tmp_path / "gbk.txt"
    path.write_bytes(content.encode("gbk"))
    doc = load_document(path)
    assert doc.text == content.replace("\r\n", "\n")
    assert [b.text for b in doc.blocks][:2] == ["2023年临江市测试项目绩效评价报告", "一、基本情况"]
    assert (doc.meta.year, doc.meta.region) == (2023, "临江市")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "gb18030"])
def test_other_encodings_are_decoded(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "doc.txt"
    path.write_bytes("关于印发宿州市政务云管理办法的通知\n第一条 为规范管理。".encode(encoding))
    doc = load_document(path)
    assert doc.text.startswith("关于印发")
    assert doc.meta.kind == "policy" and doc.meta.region == "宿州市"


def test_markdown_without_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "notes.MD"
    path.write_text("# 2024年云岭县示例项目绩效评价报告\n\n> 说明：虚构。\n\n- 条目一\n\n| 指标 | 分值 |\n|---|---|\n| 预算执行率 | 2 |\n",
                    encoding="utf-8")
    doc = load_document(path)
    assert_offsets(doc)
    assert doc.meta.title == "2024年云岭县示例项目绩效评价报告" and doc.meta.region == "云岭县"
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("heading", "2024年云岭县示例项目绩效评价报告"),
        ("paragraph", "说明：虚构。"),
        ("paragraph", "条目一"),
        ("table_row", "| 指标 | 分值 |"),
        ("table_row", "| 预算执行率 | 2 |"),
    ]


def test_front_matter_edge_cases(tmp_path: Path) -> None:
    ruled = tmp_path / "ruled.txt"
    ruled.write_text("---\n说明: 见附件\n---\n正文。\n", encoding="utf-8")
    assert load_document(ruled).text.startswith("---\n说明")  # a rule line, not front matter
    broken = tmp_path / "broken.md"
    broken.write_text("---\ntitle: [未闭合\nyear: 2023\n---\n正文。\n", encoding="utf-8")
    expect_error(broken, "YAML", "第 3 行")  # where the parser notices


# ---- docx ------------------------------------------------------------------


def test_docx_paragraphs_and_tables_in_body_order(tmp_path: Path) -> None:
    doc = load_document(make_docx(tmp_path / "report.docx"))
    assert_offsets(doc)
    assert [(b.kind, b.level, b.text) for b in doc.blocks] == [
        ("heading", 1, "2023年青川市测试项目绩效评价报告"),
        ("heading", 1, "一、基本情况"),
        ("heading", 2, "（一）项目概况"),
        ("paragraph", None, "本项目预算100万元，实际支出95万元。"),
        ("table_row", None, "指标\t分值"),  # the merged cell appears once
        ("table_row", None, "预算执行率\t95%\t2"),
        ("paragraph", None, "表后说明。"),
        ("heading", 3, "资金情况"),  # style named "标题 3"
        ("heading", 1, "六、存在的问题"),  # outline level 0
        ("paragraph", None, "资金拨付不及时。"),
    ]
    assert doc.meta.title == "2023年青川市测试项目绩效评价报告"
    assert (doc.meta.year, doc.meta.region, doc.meta.doc_id) == (2023, "青川市", "report")


def test_docx_vertical_merge_leaves_an_empty_cell(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(1, 0)).text = "项目决策"
    for col, (top, bottom) in enumerate([("立项依据", "立项程序"), ("2", "3")], start=1):
        table.cell(0, col).text, table.cell(1, col).text = top, bottom
    path = tmp_path / "merged.docx"
    document.save(path)
    rows = [b.text for b in load_document(path).blocks]
    assert rows == ["项目决策\t立项依据\t2", "\t立项程序\t3"]


def test_docx_headings_drive_chunk_sections(tmp_path: Path) -> None:
    chunks = chunk_document(load_document(make_docx(tmp_path / "report.docx")))
    by_text = {c.text.split("\n")[0]: c for c in chunks}
    assert by_text["本项目预算100万元，实际支出95万元。"].section_path == ["一、基本情况", "（一）项目概况"]
    assert by_text["资金拨付不及时。"].section_path == ["六、存在的问题"]
    assert by_text["资金拨付不及时。"].section_kind == "problems"


# ---- pdf -------------------------------------------------------------------


def test_pdf_pages_are_numbered(tmp_path: Path) -> None:
    path = tmp_path / "two_pages.PDF"
    path.write_bytes(make_pdf(["Hello page one", "Second page text"]))
    doc = load_document(path)
    assert_offsets(doc)
    assert [(b.page, b.text) for b in doc.blocks] == [(1, "Hello page one"), (2, "Second page text")]
    assert chunk_document(doc)[0].page == 1


def test_pdf_paragraphs_rejoin_wrapped_lines() -> None:
    from retrieval.loaders.pdf import page_paragraphs

    text = "一、基本情况\n本项目由市数据局组织实施，年度预算\n100万元，实际支出95万元。\n1.资金到位率100%。"
    assert page_paragraphs(text) == ["一、基本情况", "本项目由市数据局组织实施，年度预算100万元，实际支出95万元。", "1.资金到位率100%。"]


# ---- bad input ---------------------------------------------------------------


def expect_error(path: Path, *fragments: str, **kwargs: int) -> LoadError:
    with pytest.raises(LoadError) as caught:
        load_document(path, **kwargs)
    error = caught.value
    assert error.path == path
    assert str(error) == f"{path}: {error.reason}"
    for fragment in fragments:
        assert fragment in error.reason, error.reason
    return error


@pytest.mark.parametrize("name", ["empty.txt", "empty.docx", "empty.pdf"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    expect_error(path, "文件为空")


def test_blank_text_file_has_no_content(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text(" \n\n\t\n", encoding="utf-8")
    expect_error(path, "没有可提取的文字")


@pytest.mark.parametrize("ext", [".txt", ".md"])
def test_lines_of_other_whitespace_are_no_blocks(tmp_path: Path, ext: str) -> None:
    """Regression (the file fuzzer's b"\\x01\\n\\x0b"): a line of only \\x0b, \\x1c or \\u2028 made a block of no text."""
    path = tmp_path / f"ws{ext}"
    path.write_text("资金拨付不及时\n\x0b\n\x1c\x1d\n\u2028\n合同管理不规范\n", encoding="utf-8")
    document = load_document(path)
    assert [block.text for block in document.blocks] == ["资金拨付不及时", "合同管理不规范"]
    assert all(document.text[block.start:block.end] == block.text for block in document.blocks)


def test_unknown_extension_lists_supported(tmp_path: Path) -> None:
    path = tmp_path / "report.doc.bak"
    path.write_text("x", encoding="utf-8")
    error = expect_error(path, "不支持的文件类型", ".bak", ".docx", ".pdf", ".txt")
    assert error.path.name == "report.doc.bak"
    expect_error(tmp_path / "README", "无扩展名")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    expect_error(tmp_path / "nope.txt", "不存在")
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    expect_error(folder, "不是普通文件")


def test_oversize_file_names_size_and_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("绩效" * 1000, encoding="utf-8")
    expect_error(path, "5.9 KB", "超过上限", "1.0 KB", max_bytes=1024)


@pytest.mark.parametrize("data, message", [
    (b"\x81\xff" * 200, "无法识别文本编码"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "二进制"),
])
def test_undecodable_text(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "garbage.txt"
    path.write_bytes(data)
    expect_error(path, message)


def test_corrupt_docx(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.docx"
    path.write_bytes("这不是 Word 文档".encode())
    expect_error(path, "不是 zip")
    legacy = tmp_path / "legacy.docx"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    expect_error(legacy, ".doc")
    not_word = tmp_path / "other.docx"
    with zipfile.ZipFile(not_word, "w") as archive:
        archive.writestr("hello.txt", "hi")
    expect_error(not_word, "word/document.xml")
    truncated = tmp_path / "truncated.docx"
    truncated.write_bytes(make_docx(tmp_path / "whole.docx").read_bytes()[:3000])
    expect_error(truncated)


def test_zip_bomb_docx_is_refused_before_opening(tmp_path: Path) -> None:
    source = make_docx(tmp_path / "ok.docx")
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in original.infolist():
            archive.writestr(item, original.read(item))
        archive.writestr("word/media/padding.bin", b"\0" * (20 * 1024 * 1024))
    assert bomb.stat().st_size < 200 * 1024
    expect_error(bomb, "压缩比", "压缩炸弹")


def test_encrypted_pdf(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["Secret page"]))))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    expect_error(path, "已加密", "密码")


def test_corrupt_and_textless_pdf(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b"garbage " * 50)
    expect_error(path)
    blank = tmp_path / "scan.pdf"
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    with blank.open("wb") as handle:
        writer.write(handle)
    expect_error(blank, "扫描件")


def test_load_error_survives_pickling(tmp_path: Path) -> None:
    error = LoadError(tmp_path / "a.txt", "文件为空")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.path, copy.reason, str(copy)) == (error.path, error.reason, str(error))
