"""The keyword side of adding one report to a large library: the shared postings against today's full bm25s rebuild, same run.

Run:  python benchmarks/bench_keyword.py [--chunks 50000]

Builds a synthetic library of --chunks chunks (variants of the seeds' real chunks: their sentences
shuffled, 200 chunks a report) in the postings store, then prints:
- adding one more report (a seed under a new name): tokenizing it and writing its postings, in the
  ingesting process;
- the next search of another process over the same data directory: the change applied to its view
  (generation check + that document's postings) and the search itself;
- a new process's first load of the whole view from the postings;
- today's full rebuild (KeywordIndex.build over every chunk, as each ingest did), for comparison;
- CPU seconds for each (the machine may be shared: CPU time is what the work costs).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from retrieval.embedders import HashEmbedder  # noqa: E402
from retrieval.index import PrecedentIndex  # noqa: E402
from retrieval.keyword import KeywordIndex  # noqa: E402
from retrieval.keyword_live import LiveKeyword  # noqa: E402
from retrieval.search import Rows  # noqa: E402

SEEDS = ROOT.parent / "shared" / "seeds"
Doc = tuple[str, str, list[str], list[str], list[dict[str, Any]]]


def timed(function: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def synthetic(rows: Rows, target: int, seed: int = 11) -> list[Doc]:
    rng = random.Random(seed)
    docs: list[Doc] = []
    total, copy = 0, 0
    while total < target:
        copy += 1
        doc_id = f"synthetic_{copy:05d}"
        picks = rng.sample(range(len(rows.ids)), k=min(200, len(rows.ids), target - total))
        ids, texts, metas = [], [], []
        for ordinal, i in enumerate(picks):
            sentences = rows.texts[i].split("。")
            rng.shuffle(sentences)
            ids.append(f"{doc_id}@g1#{ordinal}")
            texts.append("。".join(sentences))
            metas.append({**rows.metas[i], "doc_id": doc_id, "gen": "g1", "ordinal": ordinal, "title": f"合成报告{copy}"})
        docs.append((doc_id, "g1", ids, texts, metas))
        total += len(ids)
    return docs


def live_of(keyword: LiveKeyword) -> Callable[[], dict[str, str]]:
    return lambda: {doc_id: gen for doc_id, (gen, _) in keyword.postings.versions().items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=50_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="jixiao-bench-keyword-"))
    try:
        seeds = PrecedentIndex(workdir / "seeds", HashEmbedder())
        seeds.ingest([SEEDS])
        _, rows = seeds._ensure_keyword()
        print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores)")
        library = synthetic(rows, args.chunks)
        path = workdir / "library" / "keyword.sqlite3"
        writer = LiveKeyword(path, None, lambda: {})  # type: ignore[arg-type]  # no Chroma: every document has its postings
        writer._live = live_of(writer)
        _, wall, cpu = timed(lambda: [writer.write(library[i : i + 10]) for i in range(0, len(library), 10)])
        print(f"synthetic library: {sum(len(d[2]) for d in library)} chunks in {len(library)} reports; postings written in {wall:.1f} s ({cpu:.1f} s CPU), {path.stat().st_size / 1e6:.0f} MB")

        watcher = LiveKeyword(path, None, lambda: {})  # type: ignore[arg-type]
        watcher._live = live_of(watcher)
        (searcher, view_rows), wall, cpu = timed(watcher.current)
        print(f"a new process's first load of the view: {wall:.1f} s ({cpu:.1f} s CPU), {len(view_rows.ids)} chunks")
        searcher.search("预算执行率", 50)

        doc_id = "新增报告_001"
        report = (doc_id, "n1", [f"{doc_id}@n1#{i}" for i in range(len(rows.ids[:150]))], rows.texts[:150], [{**m, "doc_id": doc_id, "gen": "n1"} for m in rows.metas[:150]])
        _, add_wall, add_cpu = timed(lambda: writer.write([report]))
        print(f"\nadd one report ({len(report[2])} chunks) to the {len(view_rows.ids)}-chunk library, keyword side:")
        print(f"  ingesting process: tokenize + write its postings       {add_wall * 1000:8.0f} ms ({add_cpu * 1000:.0f} ms CPU)   aim < 1 s")
        (searcher, view_rows), wall, cpu = timed(watcher.current)
        assert doc_id in {m["doc_id"] for m in view_rows.metas[-150:]}
        print(f"  another process's next search: apply the change        {wall * 1000:8.0f} ms ({cpu * 1000:.0f} ms CPU)")
        hits, wall, _ = timed(lambda: searcher.search("预算执行率 资金到位率", 50))
        print(f"  … and the keyword search itself                        {wall * 1000:8.0f} ms")
        _, wall, cpu = timed(watcher.current)
        print(f"  an unchanged generation (the check every search makes) {wall * 1000:8.2f} ms")

        every = Rows(view_rows.ids, view_rows.texts, view_rows.metas)
        tables = [text for text, meta in zip(every.texts, every.metas) if meta.get("section_kind") in ("scoring_table", "findings_list")]
        _, full_wall, full_cpu = timed(lambda: KeywordIndex.build(every.ids, [every.index_text(i) for i in range(len(every.ids))], every.texts, tables))
        print(f"  before: full bm25s rebuild over every chunk (each ingest) {full_wall:6.1f} s ({full_cpu:.1f} s CPU)")
        print(f"  ratio full rebuild / incremental add (CPU): {full_cpu / max(add_cpu, 1e-6):.0f}×")
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
