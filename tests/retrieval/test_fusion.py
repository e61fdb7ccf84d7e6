"""The default (hybrid) ranking on the real seeds: keyword's first passages stay in place, dense fills below and when keyword finds nothing."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from conftest import ROOT
from retrieval.index import PrecedentIndex
from retrieval.search import KEYWORD_KEEP, Citation, Hit, keyword_first

TUNE = [item for item in YAML(typ="safe").load((ROOT / "tests" / "fixtures" / "passage_queries.yaml").read_text(encoding="utf-8")) if item["split"] == "tune"]


def assert_cited(hit: Hit) -> None:
    assert hit.citation.source.endswith(".txt") and hit.citation.section_label  # 正文 when above the first heading
    assert hit.citation.end > hit.citation.start >= 0 and hit.citation.paragraph >= 1
    assert hit.citation.display.startswith("《") and hit.citation.display.endswith("段")


def test_where_keyword_finds_passages_the_default_keeps_its_first_ones_in_order(seed_index: PrecedentIndex) -> None:
    differs = 0
    for item in TUNE[:20]:
        keyword = seed_index.search(item["query"], k=5, mode="keyword")
        hybrid = seed_index.search(item["query"], k=5)
        assert len(keyword) == 5 and len(hybrid) == 5
        assert [hit.chunk_id for hit in hybrid[:KEYWORD_KEEP]] == [hit.chunk_id for hit in keyword[:KEYWORD_KEEP]], item["query"]
        differs += [hit.chunk_id for hit in hybrid] != [hit.chunk_id for hit in keyword]
        assert [hit.score for hit in hybrid] == sorted((hit.score for hit in hybrid), reverse=True)
        for hit in hybrid:
            assert_cited(hit)
    assert differs  # below the kept places the fusion does rank differently


def test_a_query_with_no_keyword_hit_still_gets_the_dense_passages(seed_index: PrecedentIndex) -> None:
    query = "qzxv wkjy"  # no word of it is in the seeds
    assert seed_index.search(query, k=5, mode="keyword") == []
    dense = seed_index.search(query, k=5, mode="dense")
    hybrid = seed_index.search(query, k=5)
    assert len(hybrid) == 5
    assert [hit.chunk_id for hit in hybrid] == [hit.chunk_id for hit in dense]
    for hit in hybrid:
        assert hit.keyword_score is None and hit.dense_score is not None
        assert_cited(hit)


def hit(chunk_id: str, text: str, score: float) -> Hit:
    citation = Citation(doc_id="d", source="d.txt", title="t", section_path=["一、概况"], section_label="一、", paragraph=1, start=0, end=len(text), display="《t》 一、 第1段")
    return Hit(chunk_id=chunk_id, doc_id="d", text=text, score=score, section_kind="other", doc_kind="report", citation=citation)


def test_keyword_first_keeps_the_keyword_places_and_drops_their_repeats_below() -> None:
    keyword = [hit("a", "项目资金拨付不及时，影响工程进度。", 0.3), hit("b", "验收资料归档不完整。", 0.2), hit("c", "绩效目标设置不够细化。", 0.1)]
    fused = [hit("x", "满意度调查样本偏少。", 2.0), hit("c", "绩效目标设置不够细化。", 1.5), hit("a2", "项目资金拨付不及时，影响工程进度", 1.2), hit("y", "合同签订滞后于实施。", 1.0)]
    ranked = keyword_first(keyword, fused, k=5, keep=2)
    assert [h.chunk_id for h in ranked] == ["a", "b", "x", "c", "y"]  # a2 repeats a; c is not placed twice
    assert [h.score for h in ranked] == sorted((h.score for h in ranked), reverse=True)
    assert [h.chunk_id for h in keyword_first([], fused, k=3)] == ["x", "c", "a2"]  # nothing from keyword: the fused order
