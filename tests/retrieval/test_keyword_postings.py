"""The shared, incremental keyword index scores exactly like a full bm25s build of the same chunks, and follows other processes' changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from retrieval.embedders import HashEmbedder
from retrieval.index import PrecedentIndex
from retrieval.keyword import KeywordIndex
from retrieval.keyword_live import LiveKeyword
from retrieval.search import Rows, SearchFilters
from conftest import FIXTURES, SEEDS

QUERIES = [item["query"] for item in YAML(typ="safe").load((FIXTURES / "passage_queries.yaml").read_text(encoding="utf-8"))][:40]


def full_build(rows: Rows, folder: Path) -> KeywordIndex:
    """Today's full rebuild over ``rows``, saved and loaded (so queries are cut with the index's own words, as the view does)."""
    tables = [text for text, meta in zip(rows.texts, rows.metas) if meta.get("section_kind") in ("scoring_table", "findings_list")]
    KeywordIndex.build(rows.ids, [rows.index_text(i) for i in range(len(rows.ids))], rows.texts, tables).save(folder, "v")
    loaded = KeywordIndex.load(folder, "v")
    assert loaded is not None
    return loaded


def assert_same_ranking(index: PrecedentIndex, folder: Path) -> int:
    """Chunk- and unit-level BM25 scores equal the full build's; the fused top 10 too, but where a tie at the
    edge of the unit candidates (top 3k) falls differently in the two row orders, which moves the scaling."""
    searcher, rows = index._ensure_keyword()
    reference = full_build(rows, folder)
    compared, differ = 0, []
    for query in QUERIES:
        tokens = reference._query_tokens(query)
        assert searcher.index._query_tokens(query) == tokens, query
        for mine, theirs in ((searcher.index._chunk_scores, reference._chunk_scores), (searcher.index._unit_scores, reference._unit_scores)):
            got, want = mine.top(tokens, 90, None), theirs.top(tokens, 90, None)
            assert [score for _, score in got] == pytest.approx([score for _, score in want], rel=1e-5), query
            compared += len(got)
        if [cid for cid, _ in searcher.search(query, 30)[:10]] != [cid for cid, _ in reference.search(query, 30)[:10]]:
            differ.append(query)
    assert len(differ) <= 2, differ
    return compared


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    if len(list(SEEDS.glob("*.txt"))) < 5:
        pytest.skip("seeds not found")
    folder = tmp_path / "docs"
    shutil.copytree(SEEDS, folder)
    return folder


def test_scores_equal_a_full_build_after_adding_replacing_and_removing(tmp_path: Path, seeds: Path) -> None:
    """Each change touches one document's postings; the totals follow, so scores stay those of a full rebuild.

    (Terms grown from a new document's tables cut only the documents tokenized after it, and each
    grown term shifts jieba's word probabilities a little: so the documents here are all ingested
    once first, and the replacement adds no table, so that both sides cut with the same dictionary.)
    """
    index = PrecedentIndex(tmp_path / "home", HashEmbedder())
    names = sorted(seeds.glob("*.txt"))
    index.ingest([seeds])
    assert assert_same_ranking(index, tmp_path / "a") > 100
    assert index.remove(names[-1].stem)
    assert assert_same_ranking(index, tmp_path / "b") > 100
    report = index.ingest([seeds])  # one document added back
    assert report.added == [names[-1].stem] and report.keyword_seconds > 0
    assert assert_same_ranking(index, tmp_path / "c") > 100
    changed = seeds / names[0].name  # one replaced: the view masks the old rows, the totals follow
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\n项目单位已按期完成整改，并将整改结果报送主管部门。\n", encoding="utf-8")
    assert index.ingest([seeds]).updated == [names[0].stem]
    assert assert_same_ranking(index, tmp_path / "d") > 100
    assert index.remove(names[1].stem)
    assert assert_same_ranking(index, tmp_path / "e") > 100
    _, rows = index._ensure_keyword()
    assert {meta["doc_id"] for meta in rows.metas} == {path.stem for path in names} - {names[1].stem}


def test_another_process_change_is_seen_by_the_next_search(tmp_path: Path, seeds: Path) -> None:
    """Two indexes over one data directory stand for two processes: one's ingest is the other's next search."""
    home = tmp_path / "home"
    writer = PrecedentIndex(home, HashEmbedder())
    names = sorted(seeds.glob("*.txt"))
    for path in names[1:]:
        path.unlink()
    writer.ingest([seeds])
    reader = PrecedentIndex(home, HashEmbedder())
    wanted = SearchFilters(doc_ids=[names[1].stem])
    assert not reader.search("预算执行率", k=3, filters=wanted, mode="keyword")
    seen = reader.keyword.generation()
    shutil.copy(SEEDS / names[1].name, seeds / names[1].name)
    writer.ingest([seeds])
    assert reader.keyword.generation() > seen
    hits = reader.search("预算执行率", k=3, filters=wanted, mode="keyword")
    assert hits and hits[0].doc_id == names[1].stem
    assert names[1].stem in reader.catalog()
    writer.remove(names[1].stem)
    assert not reader.search("预算执行率", k=3, filters=wanted, mode="keyword")


def test_postings_missing_for_a_committed_document_are_rebuilt_from_chroma(tmp_path: Path, seeds: Path) -> None:
    """An ingest stopped between Chroma's commit and the postings' (or a data directory from before them) heals on the next search."""
    home = tmp_path / "home"
    index = PrecedentIndex(home, HashEmbedder())
    index.ingest([seeds])
    before = [(hit.chunk_id, hit.keyword_score) for hit in index.search("政府采购 合同", k=5, mode="keyword")]
    doc_id = sorted(seeds.glob("*.txt"))[2].stem
    index.keyword.postings.remove([doc_id])
    fresh = PrecedentIndex(home, HashEmbedder())
    assert [(hit.chunk_id, hit.keyword_score) for hit in fresh.search("政府采购 合同", k=5, mode="keyword")] == before
    assert doc_id in fresh.keyword.postings.versions(), "written back for every process"
    again = LiveKeyword(home / "keyword.sqlite3", fresh.store, fresh._live)
    searcher, rows = again.current()
    assert len(rows.ids) == sum(record.chunks for record in fresh.catalog().values())


def test_a_view_grown_one_document_at_a_time_scores_like_one_loaded_at_once(tmp_path: Path, seeds: Path) -> None:
    """Each add keeps its postings as one more sorted run, merged past a few: grown one document at a time
    (the five seeds and the bundled reports), the view scores every query as one loaded in one batch,
    both while it holds several runs and after they were merged."""
    from retrieval.keyword_view import KeywordView

    index = PrecedentIndex(tmp_path / "home", HashEmbedder())
    index.ingest([seeds, Path(__file__).resolve().parents[2] / "corpus" / "reports"])
    docs = index.keyword.postings.get(sorted(index.catalog()))
    assert len(docs) > 12
    grown, found = KeywordView(), 0
    for count, doc in enumerate(docs, start=1):
        grown.add([doc])
        if count not in (5, 9, 12, len(docs)):
            continue
        at_once = KeywordView()
        at_once.add(docs[:count])
        (searcher, rows), (mine, my_rows) = at_once.snapshot(), grown.snapshot()
        assert my_rows.ids == rows.ids
        for query in QUERIES:
            want, got = searcher.search(query, 20), mine.search(query, 20)
            assert [cid for cid, _ in got] == [cid for cid, _ in want], (count, query)
            assert [score for _, score in got] == pytest.approx([score for _, score in want], rel=1e-5), (count, query)
            found += len(want)
    assert found > 400
