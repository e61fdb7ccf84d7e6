"""Passage-level search on the real seeds: the labelled questions, the fixed split, units, routing and the query dictionary."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from conftest import ROOT, SEEDS
from retrieval.index import PrecedentIndex
from retrieval.search import Hit, SearchFilters
from retrieval import keyword
from retrieval.keyword import KeywordIndex, bigrams, expansion, units
from retrieval.loaders.base import strip_debris

QUERIES = YAML(typ="safe").load((ROOT / "tests" / "fixtures" / "passage_queries.yaml").read_text(encoding="utf-8"))
FRESH = YAML(typ="safe").load((ROOT / "tests" / "fixtures" / "passage_queries_fresh.yaml").read_text(encoding="utf-8"))


def plain(text: str) -> str:
    return re.sub(r"\s+", "", strip_debris(text))


def test_questions_are_many_and_split_by_a_fixed_hash() -> None:
    assert len(QUERIES) >= 60
    for item in QUERIES:
        expected = "holdout" if int(hashlib.sha1(item["query"].encode("utf-8")).hexdigest(), 16) % 3 == 0 else "tune"
        assert item["split"] == expected, item["query"]
    splits = {item["split"] for item in QUERIES}
    assert splits == {"tune", "holdout"}
    assert len({item["doc_id"] for item in QUERIES}) == 5  # every seed is asked about


def test_every_answering_phrase_is_in_its_seed() -> None:
    texts = {path.stem: plain(path.read_text(encoding="utf-8")) for path in SEEDS.glob("*.txt")}
    if len(texts) < 5:
        pytest.skip("seeds not found")
    for item in QUERIES:
        assert plain(item["phrase"]) in texts[item["doc_id"]], item


def test_every_fresh_phrase_is_in_its_seed_and_answers_a_new_question() -> None:
    texts = {path.stem: plain(path.read_text(encoding="utf-8")) for path in SEEDS.glob("*.txt")}
    if len(texts) < 5:
        pytest.skip("seeds not found")
    assert len(FRESH) >= 48 and {item["doc_id"] for item in FRESH} == set(texts)  # every seed is asked about
    older = {plain(item["phrase"]) for item in QUERIES}
    for item in FRESH:
        phrase = plain(item["phrase"])
        assert item["split"] == "fresh", item
        assert phrase in texts[item["doc_id"]], item
        assert 8 <= len(phrase) <= 30, item
        assert phrase not in plain(item["query"]), item  # the question paraphrases its answer
        assert phrase not in older, item
    assert len({item["query"] for item in FRESH} | {item["query"] for item in QUERIES}) == len(FRESH) + len(QUERIES)


def test_units_and_bigrams() -> None:
    assert [unit.strip() for unit in units("一是合同签订不及时。二是验收滞后；\n序号\t项目\t金额")] == [
        "一是合同签订不及时。", "二是验收滞后；", "序号\t项目\t金额",  # sentences and rows
        "一是合同签订不及时。二是验收滞后；", "二是验收滞后；序号\t项目\t金额",  # each two in a row
    ]
    assert units("只有一句话。") == ["只有一句话。"]
    assert bigrams("先干活 后签") == ["先干", "干活", "后签"]


def test_colloquial_words_bring_the_report_words_of_their_synonym_group() -> None:
    assert "流于形式" in expansion("考评走过场") and "考核" in expansion("考评走过场")
    assert expansion("资金节约率的目标值") == []  # nothing colloquial: the query is searched as it is


def test_a_question_put_colloquially_finds_the_report_wording_on_the_seeds(seed_index: PrecedentIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    query, doc_id, phrase = "平台最后一关是哪天过的", "004_14a084a959548111", "项目实际终验时间为2021年2月1日"  # 最后一关 → 终验

    def found(hits: list[Hit]) -> bool:
        return any(hit.doc_id == doc_id and phrase in plain(hit.text) for hit in hits)

    assert found(seed_index.search(query, k=5, mode="keyword"))
    monkeypatch.setattr(keyword, "SYNONYMS", ())
    # search() keeps its results while the library is unchanged: rank the candidates afresh without the synonyms
    everything = SearchFilters()
    assert not found(seed_index.rank(query, *seed_index.candidates(query, everything, "keyword", 50), everything, 5, "keyword"))  # the synonyms are what finds it


def test_a_table_row_inside_a_long_chunk_is_found_and_saved_index_searches_alike(tmp_path: Path) -> None:
    rows = [
        "本项目预算资金5412.69万元，实际支出5191.10万元，预算执行率95.91%。" * 3 + "\n资金节约率\t15%及其以下\t1\t=1%\t1",
        "项目立项依据充分，程序规范。" * 5,
        "满意度调查共发放问卷500份。",
    ]
    index = KeywordIndex.build(["a", "b", "c"], rows, rows, ["资金节约率\t15%及其以下"])
    before = index.search("资金节约率的目标值", 3)
    assert before[0][0] == "a"
    index.save(tmp_path / "bm25", "v1")
    loaded = KeywordIndex.load(tmp_path / "bm25", "v1")
    assert loaded is not None
    assert [cid for cid, _ in loaded.search("资金节约率的目标值", 3)] == [cid for cid, _ in index.search("资金节约率的目标值", 3)]
    assert KeywordIndex.load(tmp_path / "bm25", "v2") is None  # another catalog version is rebuilt


@pytest.mark.parametrize(
    ("query", "doc_id", "phrase"),
    [
        ("先干活后签合同", "004_14a084a959548111", "合同履行在前"),
        ("圈存机布点目标805个实际完成多少", "003_74ff42f95867ce14", "圈存机布点数=805个2.18=1000个"),
        ("公安数据归集项目质保金留多少、多久退", "000_1557dbc9d3a5337d", "剩余3%为质保金，质保期满3年后退还"),
    ],
)
def test_keyword_mode_finds_rows_and_sentences_on_the_seeds(seed_index: PrecedentIndex, query: str, doc_id: str, phrase: str) -> None:
    hits = seed_index.search(query, k=5, mode="keyword")
    assert any(hit.doc_id == doc_id and phrase in plain(hit.text) for hit in hits)
    assert all(len(hit.text) <= 700 for hit in hits)  # passages stay comparable to a 500-character chunk
