"""Chunking on the five seed reports and our corpus: section boundaries, kinds, sizes and offsets.

Offsets contract (see ``retrieval.chunking``): ``doc.text[c.start:c.end]``
*contains* the chunk's text after debris removal, modulo whitespace and table
layout. For the plain-text seeds the tests check the stronger form: with all
whitespace removed, the debris-free span equals the chunk text exactly.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from conftest import ROOT, seed_path
from retrieval.chunking import (
    chunk_document,
    classify_heading,
    clean_text,
    compact,
    numbered_heading_rank,
    row_cells,
    split_spans,
    table_kind,
)
from retrieval.loaders import load_document
from retrieval.loaders.base import strip_debris
from retrieval.models import Chunk, LoadedDocument

SEED_NUMBERS = ["000", "001", "002", "003", "004"]
REPORTS = sorted((ROOT / "corpus" / "reports").glob("r[0-9]*.md"))
POLICIES = sorted((ROOT / "corpus" / "policies").glob("*.md"))


@cache
def loaded(path: Path) -> LoadedDocument:
    return load_document(path)


@cache
def chunked(path: Path, max_chars: int = 400, overlap: int = 60) -> list[Chunk]:
    return chunk_document(loaded(path), max_chars=max_chars, overlap=overlap)


def seed(number: str) -> list[Chunk]:
    return chunked(seed_path(number))


def heading_starts(doc: LoadedDocument) -> list[int]:
    """Where every heading begins: loader headings and short numbered lines."""
    return [
        block.start
        for block in doc.blocks
        if block.kind == "heading"
        or (block.kind == "paragraph" and numbered_heading_rank(clean_text(block.text)) is not None)
    ]


def in_section(chunks: list[Chunk], first_heading: str) -> list[Chunk]:
    return [c for c in chunks if c.section_path and c.section_path[0] == first_heading]


ALL_DOCS = [pytest.param(n, id=f"seed{n}") for n in SEED_NUMBERS] + [
    pytest.param(p, id=p.stem) for p in REPORTS + POLICIES
]


def resolve(item: str | Path) -> Path:
    return seed_path(item) if isinstance(item, str) else item


# ---- invariants on every document -------------------------------------------------


@pytest.mark.parametrize("item", ALL_DOCS)
def test_chunks_are_well_formed(item: str | Path) -> None:
    path = resolve(item)
    doc, chunks = loaded(path), chunked(path)
    assert chunks
    for ordinal, chunk in enumerate(chunks):
        assert (chunk.ordinal, chunk.chunk_id, chunk.doc_id) == (ordinal, f"{doc.meta.doc_id}:{ordinal}", doc.meta.doc_id)
        assert chunk.text.strip()
        # a table row may start with TABs: its first cells are empty
        assert chunk.text == (chunk.text.strip(" \n") if chunk.is_table else chunk.text.strip())
        assert 0 <= chunk.start < chunk.end <= len(doc.text)
        assert chunk.paragraph >= 1
        assert "[bookmark" not in chunk.text and "[footnoteRef" not in chunk.text and "<p" not in chunk.text


@pytest.mark.parametrize("item", ALL_DOCS)
def test_no_chunk_crosses_a_heading(item: str | Path) -> None:
    path = resolve(item)
    starts = heading_starts(loaded(path))
    for chunk in chunked(path):
        assert not [s for s in starts if chunk.start < s < chunk.end], chunk.chunk_id
    for before, after in zip(chunked(path), chunked(path)[1:]):
        if before.section_path != after.section_path:
            assert any(before.end <= s <= after.start for s in starts), "a section changes only at a heading"


@pytest.mark.parametrize("item", ALL_DOCS)
def test_span_contains_chunk_text(item: str | Path) -> None:
    path = resolve(item)
    doc = loaded(path)
    for chunk in chunked(path):
        span = compact(strip_debris(doc.text[chunk.start:chunk.end]))
        pieces = [cell for line in chunk.text.split("\n") for cell in line.split("\t")]
        for piece in pieces:
            assert compact(piece) in span, (chunk.chunk_id, piece)
        if not chunk.is_table:  # the span is tight: it starts and ends with the chunk's text
            assert span.startswith(compact(pieces[0])) and span.endswith(compact(pieces[-1])), chunk.chunk_id


@pytest.mark.parametrize("number", SEED_NUMBERS)
def test_seed_span_equals_chunk_text_without_whitespace(number: str) -> None:
    doc = loaded(seed_path(number))
    for chunk in seed(number):
        assert compact(strip_debris(doc.text[chunk.start:chunk.end])) == compact(chunk.text), chunk.chunk_id


@pytest.mark.parametrize("item", ALL_DOCS)
@pytest.mark.parametrize("max_chars, overlap", [(400, 60), (150, 30)])
def test_only_single_table_rows_exceed_max_chars(item: str | Path, max_chars: int, overlap: int) -> None:
    for chunk in chunked(resolve(item), max_chars, overlap):
        if len(chunk.text) > max_chars:
            assert chunk.is_table and "\n" not in chunk.text, chunk.chunk_id


@pytest.mark.parametrize("item", ALL_DOCS)
def test_chunks_never_mix_tables_and_prose(item: str | Path) -> None:
    path = resolve(item)
    doc = loaded(path)
    for chunk in chunked(path):
        kinds = {block.kind for block in doc.blocks if block.start < chunk.end and block.end > chunk.start}
        assert kinds == ({"table_row"} if chunk.is_table else {"paragraph"}), chunk.chunk_id


# ---- the seeds --------------------------------------------------------------------


def test_seed_004_problems_suggestions_and_appendices() -> None:
    chunks = seed("004")
    problems = in_section(chunks, "六、主要问题")
    assert problems and all(c.section_kind == "problems" and not c.is_table for c in problems)
    assert any(c.section_path == ["六、主要问题", "（七）政府采购管理不规范"] for c in problems)
    suggestions = in_section(chunks, "七、相关建议")
    assert suggestions and {c.section_kind for c in suggestions} == {"suggestions"}
    scoring = in_section(chunks, "附件1：项目绩效评价指标体系评分表")
    assert scoring and all(c.section_kind == "scoring_table" and c.is_table for c in scoring)
    findings = in_section(chunks, "附件2：2023年永州市公共服务信息化运维项目问题清单")
    assert findings and all(c.section_kind == "findings_list" and c.is_table for c in findings)
    assert findings[0].text.startswith("序号\t项目单位\t项目\t项目分类\t问题定性\t具体问题\t问题描述\n1\t永州市行政审批服务局")
    assert any("合同履行在前、签订在后" in c.text for c in findings)


def test_seed_004_indicator_tables_and_bookmarked_headings() -> None:
    chunks = seed("004")
    decision = [c for c in chunks if c.section_path == ["四、绩效评价指标分析", "（一）项目决策情况"]]
    assert {c.section_kind for c in decision if not c.is_table} == {"indicator_analysis"}
    assert {c.section_kind for c in decision if c.is_table} == {"scoring_table"}  # 权重/得分 columns
    assert in_section(chunks, "一、项目基本情况")[0].section_kind == "basic_info"
    assert {c.section_kind for c in in_section(chunks, "三、项目主要绩效及评价结论") if not c.is_table} == {"conclusion"}
    assert {c.section_kind for c in in_section(chunks, "五、主要绩效")} == {"experience"}


def test_seed_000_sections() -> None:
    chunks = seed("000")
    problems = in_section(chunks, "六、存在问题及原因分析")
    assert len(problems) == 5 and {c.section_kind for c in problems} == {"problems"}
    assert problems[3].section_path[1] == "（四）部分项目资金拨付不及时"  # 资金 does not make it basic_info
    assert {c.section_kind for c in in_section(chunks, "七、对策建议")} == {"suggestions"}
    assert {c.section_kind for c in in_section(chunks, "二、绩效评价工作开展情况") if not c.is_table} == {"method"}
    analysis = in_section(chunks, "四、绩效评价指标分析")
    assert {c.section_kind for c in analysis} == {"indicator_analysis"}
    # "1.立项依据充分性：……该指标得2分，满分。" is a list item, not a heading
    assert not any(p.startswith("1.立项依据") for c in chunks for p in c.section_path)
    assert any(c.text.startswith("项目决策情况，主要是指") and "1.立项依据充分性" in c.text for c in analysis)
    scoring = [c for c in chunks if c.section_kind == "scoring_table"]
    assert [c.section_path[-1] for c in scoring] == ["2.评价指标体系", "（一）评分结果"]


def test_seed_003_tab_separated_form() -> None:
    chunks = seed("003")
    scoring = [c for c in chunks if c.section_kind == "scoring_table"]
    assert scoring and all(c.is_table for c in scoring)
    assert any("预算执行率\t=100%\t6\t=93%\t6" in c.text for c in scoring)
    assert any("合计" in c.text and c.text.endswith("80") for c in scoring)
    by_kind = {c.section_kind: c for c in chunks}
    assert "项目建设周期不充裕" in by_kind["problems"].text
    assert by_kind["suggestions"].text.startswith("进一步加强项目管理的建议")
    assert "text-align" not in by_kind["experience"].text  # HTML debris stripped


def test_seed_001_and_002_sections() -> None:
    chunks = seed("001")
    assert [c.section_kind for c in in_section(chunks, "六、存在的问题")] == ["problems"]
    assert [c.section_kind for c in in_section(chunks, "七、相关建议")] == ["suggestions"]
    assert any(c.section_path[-1] == "1. 绩效评价目的" for c in chunks if c.section_path)  # bullet "•" dropped
    chunks = seed("002")
    kinds = {tuple(c.section_path): c.section_kind for c in chunks}
    assert kinds[("六、存在问题及原因分析", "（一）存在问题")] == "problems"
    assert kinds[("六、存在问题及原因分析", "（二）原因分析")] == "causes"
    assert kinds[("六、存在问题及原因分析", "（三）改进措施")] == "suggestions"
    assert kinds[("七、有关建议",)] == "suggestions"
    assert kinds[("四、绩效评价指标分析", "（一）项目决策情况", "2. 绩效目标", "（1）绩效目标合理性")] == "indicator_analysis"


def test_paragraph_numbers_count_within_a_section() -> None:
    chunks = [c for c in seed("001") if c.section_path == ["一、基本情况", "（三）项目绩效目标"]]
    assert [(c.paragraph, c.is_table) for c in chunks] == [(1, False), (3, True)]  # 2 is the caption "表1-1"
    split = [c for c in seed("000") if c.section_path == ["1.项目背景"]]
    assert len(split) > 1 and split[0].paragraph == 1


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.stem)
def test_every_corpus_report_has_problems_and_suggestions(path: Path) -> None:
    chunks = chunked(path)
    kinds = {c.section_kind for c in chunks}
    assert {"problems", "suggestions", "scoring_table", "indicator_analysis", "basic_info"} <= kinds
    assert all(not c.section_path or not c.section_path[0].startswith(loaded(path).meta.title) for c in chunks)
    problems = [c for c in chunks if c.section_kind == "problems"]
    assert all(c.section_path[0].startswith("六、") for c in problems)


# ---- the pieces -----------------------------------------------------------------


@pytest.mark.parametrize("text, rank", [
    ("一、基本情况", 1),
    ("十二、附则", 1),
    ("附件2：2023年永州市公共服务信息化运维项目问题清单", 1),
    ("附件 2", 1),
    ("（一）项目概况", 2),
    ("(二) 项目过程情况", 2),
    ("1.项目背景", 3),
    ("• 1. 绩效评价目的", 3),
    ("（1）科学规范原则", 4),
    ("(3) 资金使用合规性", 4),
    ("1.立项依据充分性：项目立项符合法律法规。该指标得2分，满分。", None),
    ("(4) 资金投入：支出 919.94 万元", None),
    ("1.评价组织实施。", None),
    ("1.5万元用于运维", None),
    ("附件材料齐全", None),
    ("一是预算编制不细", None),
    ("（一）" + "很长的标题" * 10, None),
])
def test_numbered_heading_rank(text: str, rank: int | None) -> None:
    assert numbered_heading_rank(text) == rank


@pytest.mark.parametrize("title, parent, kind", [
    ("六、存在问题及原因分析", "other", "problems"),
    ("（二）原因分析", "problems", "causes"),
    ("（三）改进措施", "problems", "suggestions"),
    ("（四）部分项目资金拨付不及时", "problems", "problems"),
    ("（四）强化资金管理", "suggestions", "suggestions"),
    ("三、项目主要绩效及评价结论", "other", "conclusion"),
    ("五、主要绩效", "other", "experience"),
    ("二、绩效评价工作开展情况", "other", "method"),
    ("(一) 决策指标分析", "indicator_analysis", "indicator_analysis"),
    ("2. 绩效目标", "indicator_analysis", "indicator_analysis"),
    ("（二）项目绩效目标", "other", "basic_info"),
    ("附件1：项目绩效评价指标体系评分表", "other", "scoring_table"),
    ("附件2：问题清单", "suggestions", "suggestions"),
    ("附件2：问题清单", "other", "findings_list"),
    ("八、其他需要说明的问题", "other", "other"),
])
def test_classify_heading(title: str, parent: str, kind: str) -> None:
    assert classify_heading(title, parent) == kind  # type: ignore[arg-type]


def test_table_kind_from_header_cells() -> None:
    assert table_kind(["一级指标", "二级指标", "权重", "得分"]) == "scoring_table"
    assert table_kind(["序号", "项目单位", "问题定性", "问题描述"]) == "findings_list"
    assert table_kind(["苏州市级财政支出项目绩效自评表", "", ""]) == "scoring_table"
    assert table_kind(["序号", "项目名称", "到位金额"]) is None


def test_row_cells_reads_every_layout() -> None:
    assert row_cells("| 指标 | 分值 |") == ["指标", "分值"]
    assert row_cells("a\t\tb") == ["a", "", "b"]
    assert row_cells("\t1\n\t\n\t[bookmark: _Toc1]合同管理\n①第一条；\n②第二条。") == ["1", "", "合同管理 ①第一条； ②第二条。"]


def test_split_spans_cut_after_sentences_with_overlap() -> None:
    sentence = "项目资金到位率为百分之百，预算执行率为九十五点九一。"  # 26 characters
    text = sentence * 12
    spans = split_spans(text, max_chars=100, overlap=20)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    for (start, end), (next_start, _) in zip(spans, spans[1:]):
        assert end - start <= 100 and text[end - 1] == "。"
        assert end - 20 <= next_start < end  # overlap of at most 20 characters, starting after a comma
        assert text[next_start - 1] in "，。"


def test_long_paragraph_pieces_keep_offsets(tmp_path: Path) -> None:
    body = "本项目资金到位率为百分之百，各子项目均按合同约定推进。" * 30
    path = tmp_path / "long.txt"
    path.write_text(f"六、存在的问题\n[bookmark: _Toc9]{body}\n七、有关建议\n加快支付。\n", encoding="utf-8")
    doc = load_document(path)
    chunks = chunk_document(doc, max_chars=120, overlap=30)
    pieces = [c for c in chunks if c.section_kind == "problems"]
    assert len(pieces) > 5 and {c.paragraph for c in pieces} == {1}
    for chunk in pieces:
        assert len(chunk.text) <= 120 and doc.text[chunk.start:chunk.end] == chunk.text
    assert pieces[0].start == doc.text.index("本项目")  # the bookmark is skipped
    assert chunks[-1].section_path == ["七、有关建议"] and chunks[-1].text == "加快支付。"


def test_arguments_are_checked() -> None:
    doc = loaded(seed_path("001"))
    with pytest.raises(ValueError):
        chunk_document(doc, max_chars=0)
    with pytest.raises(ValueError):
        chunk_document(doc, max_chars=100, overlap=100)
