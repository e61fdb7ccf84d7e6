"""The precedent index end to end on real files: ingest, incremental updates, crash safety, filters, citations."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import ROOT, SEEDS
from retrieval.embedders import HashEmbedder
from retrieval.index import PrecedentIndex
from retrieval.search import SearchFilters
from retrieval.store import ChromaStore, StoreError, chunk_key, chunk_owner

CORPUS = ROOT / "corpus"


def make_index(home: Path) -> PrecedentIndex:
    return PrecedentIndex(home, HashEmbedder())


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> PrecedentIndex:
    index = make_index(tmp_path_factory.mktemp("home"))
    report = index.ingest([CORPUS / "reports", CORPUS / "policies", SEEDS])
    assert not report.failed, report.failed
    return index


def test_everything_is_indexed_with_metadata(corpus_index: PrecedentIndex) -> None:
    catalog = corpus_index.catalog()
    assert len([d for d in catalog if d.startswith("r")]) == 12
    assert {"p01_xiangmu_zhichu_pingjia_banfa", "p02_gongxing_zhibiao", "p03_zhengwu_xinxihua_guanli"} <= set(catalog)
    assert len([d for d in catalog if d[:3].isdigit()]) == 5
    assert catalog["p02_gongxing_zhibiao"].meta.kind == "policy"
    assert catalog["r01_zhengwuyun"].meta.year == 2023
    assert all(record.chunks > 0 for record in catalog.values())


def test_problem_search_returns_cited_problem_passages(corpus_index: PrecedentIndex) -> None:
    hits = corpus_index.search("资金拨付不及时", k=5, filters=SearchFilters(kinds=["problems"]))
    assert hits
    assert all(hit.section_kind == "problems" for hit in hits)
    top = hits[0]
    assert "拨付" in top.text or "支付" in top.text
    assert top.citation.display.startswith("《") and top.citation.display.endswith("段")
    assert top.citation.source and top.citation.section_path
    source = next(p for p in [*CORPUS.rglob(top.citation.source), *SEEDS.glob(top.citation.source)])
    assert source.exists()


def test_seed_000_late_payment_problem_is_found_with_its_section(corpus_index: PrecedentIndex) -> None:
    hits = corpus_index.search("部分项目资金拨付不及时 预付款未按合同约定支付", k=10, filters=SearchFilters(doc_ids=["000_1557dbc9d3a5337d"]))
    assert any("资金拨付不及时" in heading for hit in hits for heading in hit.citation.section_path)


def test_filters(corpus_index: PrecedentIndex) -> None:
    policies = corpus_index.search("绩效评价指标体系", k=5, filters=SearchFilters(doc_kind="policy"))
    assert policies and all(hit.doc_kind == "policy" for hit in policies)
    year = corpus_index.search("预算执行率", k=10, filters=SearchFilters(year_from=2023, year_to=2023))
    assert year and all(hit.year == 2023 for hit in year)
    region = corpus_index.search("项目", k=10, filters=SearchFilters(region="青川"))
    assert region and all("青川" in (hit.region or "") for hit in region)
    suggestions = corpus_index.search("加强合同管理", k=5, filters=SearchFilters(kinds=["suggestions"]))
    assert suggestions and all(hit.section_kind == "suggestions" for hit in suggestions)


@pytest.mark.parametrize("mode", ["keyword", "dense", "hybrid"])
def test_each_mode_answers(corpus_index: PrecedentIndex, mode: str) -> None:
    assert corpus_index.search("政府采购程序后置", k=3, mode=mode)


def test_near_duplicates_are_collapsed(corpus_index: PrecedentIndex) -> None:
    # 004 repeats the same paragraphs in its analysis, its 主要绩效 and its 附件: one of each survives.
    hits = corpus_index.search("利用视频监控破解刑事案件 抓获犯罪嫌疑人", k=10, filters=SearchFilters(doc_ids=["004_14a084a959548111"]))
    texts = [hit.text for hit in hits]
    assert len(texts) == len(set(texts))
    assert sum("1329" in text for text in texts) <= 2


def test_passage_by_position(corpus_index: PrecedentIndex) -> None:
    hit = corpus_index.search("雪亮工程 在线率", k=1)[0]
    ordinal = int(hit.chunk_id.rsplit("#", 1)[1])
    same = corpus_index.passage(hit.doc_id, ordinal)
    assert same is not None and same.text == hit.text
    assert corpus_index.passage("no-such-doc", 0) is None


def test_langchain_retriever(corpus_index: PrecedentIndex) -> None:
    from retrieval.langchain import PrecedentRetriever

    retriever = PrecedentRetriever(index=corpus_index, k=3, filters=SearchFilters(kinds=["suggestions"]))
    documents = retriever.invoke("如何完善绩效目标")
    assert 0 < len(documents) <= 3
    assert all(doc.metadata["section_kind"] == "suggestions" and doc.metadata["display"].startswith("《") for doc in documents)


def copy_reports(tmp_path: Path, names: list[str]) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in names:
        shutil.copy(CORPUS / "reports" / name, folder / name)
    return folder


def test_incremental_ingest(tmp_path: Path) -> None:
    folder = copy_reports(tmp_path, ["r01_zhengwuyun.md", "r02_dengbao.md"])
    index = make_index(tmp_path / "home")
    first = index.ingest([folder])
    assert sorted(first.added) == ["r01_zhengwuyun", "r02_dengbao"] and first.embedded > 0

    again = index.ingest([folder])
    assert sorted(again.unchanged) == ["r01_zhengwuyun", "r02_dengbao"]
    assert again.embedded == 0 and again.chunks == 0

    assert not any("独角兽" in hit.text for hit in index.search("独角兽", k=3, mode="keyword"))  # a result search() keeps until a change
    assert index.search("等级保护测评", k=5, filters=SearchFilters(doc_ids=["r02_dengbao"]))
    path = folder / "r01_zhengwuyun.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n\n## 九、补充说明\n\n评价组补记：独角兽字样仅用于测试增量更新。\n", encoding="utf-8")
    changed = index.ingest([folder])
    assert changed.updated == ["r01_zhengwuyun"] and changed.unchanged == ["r02_dengbao"]
    assert any("独角兽" in hit.text for hit in index.search("独角兽", k=3, mode="keyword"))
    generations = {meta["gen"] for _, metas, _ in index.store.iter_chunks(False) for meta in metas if meta["doc_id"] == "r01_zhengwuyun"}
    assert generations == {index.catalog()["r01_zhengwuyun"].generation}  # old chunks replaced, not kept

    (folder / "r02_dengbao.md").unlink()
    pruned = index.ingest([folder], prune=True)
    assert pruned.removed == ["r02_dengbao"]
    assert "r02_dengbao" not in index.catalog()
    assert not index.search("等级保护测评", k=5, filters=SearchFilters(doc_ids=["r02_dengbao"]))


def test_a_search_sees_what_another_process_ingested_since_the_same_search(tmp_path: Path) -> None:
    """search() keeps its recent results only while no process has changed the library."""
    folder = copy_reports(tmp_path, ["r02_dengbao.md"])
    server, cli = make_index(tmp_path / "home"), make_index(tmp_path / "home")
    cli.ingest([folder])
    query = "政务云资源使用率"
    before = server.search(query, k=5)
    assert before and {hit.doc_id for hit in before} == {"r02_dengbao"} and server.search(query, k=5) == before
    shutil.copy(CORPUS / "reports" / "r01_zhengwuyun.md", folder)
    cli.ingest([folder])
    after = server.search(query, k=5)
    assert "r01_zhengwuyun" in {hit.doc_id for hit in after}
    assert [hit.model_dump() for hit in after] == [hit.model_dump() for hit in make_index(tmp_path / "home").search(query, k=5)]


def test_a_chunk_id_names_its_document_and_generation() -> None:
    for doc_id in ("r01_zhengwuyun", "报告@2023#终稿", "a@b"):
        assert chunk_owner(chunk_key(doc_id, "0123456789ab", 7)) == (doc_id, "0123456789ab")
    assert chunk_owner("r01_zhengwuyun-3") is None and chunk_owner("x@notagen#1") is None and chunk_owner("x@0123456789ab#") is None


def test_crash_between_chunks_and_commit_leaves_index_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = copy_reports(tmp_path, ["r03_jiaoyu.md"])
    home = tmp_path / "home"
    index = make_index(home)
    index.ingest([folder])
    before = {hit.chunk_id for hit in index.search("智慧教育", k=10)}
    path = folder / "r03_jiaoyu.md"
    path.write_text(path.read_text(encoding="utf-8").replace("项目", "工程"), encoding="utf-8")

    def crash(self: ChromaStore, record: object) -> None:
        raise KeyboardInterrupt("simulated crash before commit")

    monkeypatch.setattr(ChromaStore, "commit_document", crash)
    with pytest.raises(KeyboardInterrupt):
        index.ingest([folder])
    monkeypatch.undo()

    reopened = make_index(home)
    assert {hit.chunk_id for hit in reopened.search("智慧教育", k=10)} == before  # the half-written generation is invisible

    def generations() -> set[str]:
        return {meta["gen"] for _, metas, _ in reopened.store.iter_chunks(False) for meta in metas}

    old = reopened.catalog()["r03_jiaoyu"].generation
    half_written = generations() - {old}
    assert len(half_written) == 1  # the crashed ingest's chunks are still in Chroma
    reopened.ingest([])  # any ingest first drops the chunks no committed document owns
    assert generations() == {old}
    finished = reopened.ingest([folder])
    assert finished.updated == ["r03_jiaoyu"]
    live = reopened.catalog()["r03_jiaoyu"].generation
    assert {live} == half_written and generations() == {live}


def test_bad_file_is_reported_and_the_rest_goes_on(tmp_path: Path) -> None:
    folder = copy_reports(tmp_path, ["r04_yiliao.md"])
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 not really a docx")
    (folder / "empty.txt").write_bytes(b"")
    index = make_index(tmp_path / "home")
    report = index.ingest([folder, tmp_path / "missing.pdf"])
    assert report.added == ["r04_yiliao"]
    failed = dict(report.failed)
    assert set(failed) == {str(folder / "broken.docx"), str(folder / "empty.txt"), str(tmp_path / "missing.pdf")}
    assert all(reason for reason in failed.values())


def test_an_index_refuses_another_embedder(tmp_path: Path) -> None:
    make_index(tmp_path / "home").ingest([copy_reports(tmp_path, ["r05_shuzizhengfu.md"])])

    class Other(HashEmbedder):
        name = "hash/other"

    with pytest.raises(StoreError, match="不能混用"):
        PrecedentIndex(tmp_path / "home", Other())


def test_the_vector_index_is_saved_every_hundred_chunks_also_in_an_older_data_directory(tmp_path: Path) -> None:
    """A new process inserts the chunks written since Chroma last saved its vector index before its first query:
    new chunk collections save every SYNC_THRESHOLD chunks, and one made with Chroma's default (1000) is switched on open."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from retrieval.store import CHUNKS, SYNC_THRESHOLD

    def threshold(store: ChromaStore) -> int:
        return int(store.chunks.configuration_json["hnsw"]["sync_threshold"])

    assert threshold(make_index(tmp_path / "new").store) == SYNC_THRESHOLD <= 100
    old = tmp_path / "old" / "chroma"
    client = chromadb.PersistentClient(path=str(old), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False))
    made = client.get_or_create_collection(CHUNKS, embedding_function=None, metadata={"hnsw:space": "cosine", "embedder": HashEmbedder.name, "dim": HashEmbedder().dim})
    assert made.configuration_json["hnsw"]["sync_threshold"] == 1000
    index = make_index(tmp_path / "old")
    assert threshold(index.store) == SYNC_THRESHOLD
    index.ingest([copy_reports(tmp_path, ["r05_shuzizhengfu.md"])])
    assert index.search("资金拨付不及时", k=3, mode="dense")
