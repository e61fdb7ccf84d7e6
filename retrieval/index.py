"""The precedent index as one object: ingest files, search them, list and remove documents.

The CLI, the API and the LangChain retriever all go through :class:`PrecedentIndex`.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retrieval.embedders import Embedder, make_embedder
from retrieval.recent import Recent
from retrieval.intent import intended_kinds
from retrieval.keyword_live import LiveKeyword
from retrieval.keyword_view import ViewSearcher
from retrieval.search import Hit, Rows, SearchFilters, collapse_near_duplicates, index_text, keyword_first, make_citation, rrf, score_fusion
from retrieval.store import ChromaStore, DocumentRecord, chunk_key, chunk_metadata
from retrieval.vector_cache import CachedEmbedder, VectorCache

#: Bump when loading or chunking changes, so re-ingesting picks the change up.
PIPELINE_VERSION = "chunking-1/context-1/meta-2"

Progress = Callable[[str, int, int, str], None]
#: (doc_id, generation, chunk ids, chunk texts, chunk metadata) of a document just written to Chroma.
Written = tuple[str, str, list[str], list[str], list[dict[str, Any]]]

log = logging.getLogger(__name__)

#: How much a passage of the section kind the query asks for is preferred in the fused ranking.
INTENT_BOOST = 1.5
#: Weight of the scaled dense score added to the scaled keyword score in the fusion that fills the default
#: (hybrid) ranking below the keyword mode's first passages (see retrieval.search.keyword_first):
#: the dense ranking breaks ties among keyword passages and brings in the passages keyword missed.
#: Chosen by cross-validation on the tune split of tests/fixtures/passage_queries.yaml.
DENSE_WEIGHT = 0.08



@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    keyword_seconds: float = 0.0  # tokenizing and storing the changed documents' postings


def bundle_path(corpus_dir: Path, embedder_name: str) -> Path:
    """Where the shipped vectors of the bundled corpus live for one embedder."""
    return corpus_dir / "vectors" / (re.sub(r"[^A-Za-z0-9]+", "_", embedder_name).strip("_") + ".npz")


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files to ingest under ``paths`` (folders are searched recursively), and paths that cannot be."""
    from retrieval.loaders import SUPPORTED_EXTENSIONS

    files: list[Path] = []
    problems: list[tuple[str, str]] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS and p.name.lower() != "readme.md"))
        elif path.is_file():
            files.append(path)
        else:
            problems.append((str(path), "文件或目录不存在"))
    return files, problems


class PrecedentIndex:
    """Chroma (embedded or server) + BM25 + vector cache under one data directory."""

    def __init__(self, home: Path, embedder: Embedder, chroma_url: str | None = None, max_bytes: int = 50 * 1024 * 1024) -> None:
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.embedder = CachedEmbedder(embedder, VectorCache(self.home / "vectors.sqlite3"))
        self.store = ChromaStore(embedder.name, embedder.dim, path=None if chroma_url else self.home / "chroma", url=chroma_url)
        self.max_bytes = max_bytes
        self._catalog: dict[str, DocumentRecord] | None = None
        self._catalog_seen = -1
        self.keyword = LiveKeyword(self.home / "keyword.sqlite3", self.store, self._live)
        # Searches run concurrently (the API serves many clients); ingest, removal and the
        # rebuild of the in-memory keyword rows take this lock.
        self._lock = threading.RLock()
        self._results: tuple[tuple[ViewSearcher, Rows] | None, Recent[tuple[str, int, str, str, int], list[Hit]]] = (None, Recent(0))

    @classmethod
    def from_settings(cls, settings: Any) -> "PrecedentIndex":
        return cls(settings.home, make_embedder(settings), settings.chroma_url, settings.max_file_mb * 1024 * 1024)

    # ── catalog ──────────────────────────────────────────────────────────────
    def catalog(self) -> dict[str, DocumentRecord]:
        """The committed documents, read again when any process changed the keyword postings' generation."""
        catalog, generation = self._catalog, self.keyword.generation()
        if catalog is None or self._catalog_seen != generation:
            catalog = self._catalog = self.store.catalog()
            self._catalog_seen = generation
        return catalog

    def _live(self) -> dict[str, str]:
        self._catalog = None
        return {doc_id: record.generation for doc_id, record in self.catalog().items()}

    def _invalidate(self) -> None:
        self._catalog = None
        self.keyword.invalidate()

    # ── ingest ───────────────────────────────────────────────────────────────
    def ingest(self, paths: Iterable[Path], prune: bool = False, progress: Progress | None = None) -> IngestReport:
        """Add new files, replace changed ones, skip unchanged ones; a bad file is reported and skipped."""
        with self._lock:
            return self._ingest(paths, prune, progress)

    def _ingest(self, paths: Iterable[Path], prune: bool, progress: Progress | None) -> IngestReport:
        from retrieval.loaders import LoadError

        started = time.perf_counter()
        report = IngestReport()
        files, report.failed = discover([Path(p) for p in paths])
        written: list[Written] = []
        catalog = dict(self.catalog())
        self.store.drop_stale_chunks({doc_id: record.generation for doc_id, record in catalog.items()})
        for number, path in enumerate(files, start=1):
            if progress:
                progress("file", number, len(files), path.name)
            try:
                outcome = self._ingest_file(path, catalog, report, progress, written)
            except LoadError as exc:
                report.failed.append((str(path), exc.reason))
                continue
            getattr(report, outcome).append(path.stem)
        if prune:
            for doc_id, record in sorted(catalog.items()):
                if record.path and not Path(record.path).exists():
                    self.store.remove_document(doc_id)
                    report.removed.append(doc_id)
        keyword_started = time.perf_counter()
        self.keyword.write(written)
        self.keyword.remove(report.removed)
        report.keyword_seconds = time.perf_counter() - keyword_started
        self._invalidate()
        report.seconds = time.perf_counter() - started
        return report

    def _ingest_file(self, path: Path, catalog: dict[str, DocumentRecord], report: IngestReport, progress: Progress | None, written: list[Written]) -> str:
        # The loaders pull in python-docx and pypdf: imported only when something is ingested.
        from retrieval.chunking import chunk_document
        from retrieval.loaders import LoadError, load_document
        from retrieval.loaders.base import format_size

        try:
            size = path.stat().st_size
            if size > self.max_bytes:  # refuse before reading: a huge file must not be pulled into memory to be hashed
                raise LoadError(path, f"文件大小 {format_size(size)} 超过上限 {format_size(self.max_bytes)}")
            raw = path.read_bytes()
        except OSError as exc:
            raise LoadError(path, f"无法读取：{exc.strerror or exc}") from exc
        content_hash = hashlib.sha256(raw + PIPELINE_VERSION.encode() + self.embedder.name.encode()).hexdigest()
        doc_id = path.stem
        current = catalog.get(doc_id)
        if current is not None and current.content_hash == content_hash:
            return "unchanged"
        document = load_document(path, max_bytes=self.max_bytes)
        chunks = chunk_document(document)
        if not chunks:
            raise LoadError(path, "没有可索引的正文")
        generation = content_hash[:12]

        def on_embed(done: int, total: int) -> None:
            if progress:
                progress("embed", done, total, path.name)

        before = self.embedder.cache.count(self.embedder.name)
        meta = document.meta
        texts = [index_text(meta.title, meta.doc_id, chunk.section_path, chunk.text) for chunk in chunks]
        vectors = self.embedder.embed_passages(texts, progress=on_embed)
        report.embedded += self.embedder.cache.count(self.embedder.name) - before
        self.store.write_chunks(document.meta, generation, chunks, vectors)
        record = DocumentRecord(meta=document.meta, content_hash=content_hash, generation=generation, path=str(path.resolve()), chunks=len(chunks), ingested_at=time.time())
        self.store.commit_document(record)
        if current is not None:
            self.store.drop_old_generations(doc_id, generation)
        catalog[doc_id] = record
        written.append((doc_id, generation, [chunk_key(c.doc_id, generation, c.ordinal) for c in chunks], [c.text for c in chunks], [chunk_metadata(meta, generation, c) for c in chunks]))
        report.chunks += len(chunks)
        return "updated" if current is not None else "added"

    def import_vectors(self, bundle: Path) -> int:
        """Preload shipped vectors into the cache (a no-op for another embedder's bundle)."""
        if not bundle.exists():
            return 0
        return self.embedder.cache.import_bundle(bundle, self.embedder.name)

    def remove(self, doc_id: str) -> bool:
        with self._lock:
            if doc_id not in self.catalog():
                return False
            self.store.remove_document(doc_id)
            self.keyword.remove([doc_id])
            self._invalidate()
            return True

    # ── search ───────────────────────────────────────────────────────────────
    def warm(self) -> None:
        """Load the keyword view now rather than at the first search (a server worker before it serves)."""
        self._ensure_keyword()

    def _ensure_keyword(self) -> tuple[ViewSearcher, Rows]:
        """The keyword searcher and rows of the live catalog, as of the last change by any process."""
        return self.keyword.current()

    def search(self, query: str, k: int = 5, filters: SearchFilters | None = None, mode: str = "hybrid", fetch: int = 50) -> list[Hit]:
        """Top ``k`` passages for ``query``; ``mode`` is hybrid, dense or keyword.

        The results of the last searches are kept while the library is unchanged (the keyword view's snapshot,
        replaced whenever any process changes a document): a draft searches each problem's query, and drafting
        the case again asks the same questions."""
        query = query.strip()
        if not query:
            return []
        filters = filters or SearchFilters()
        snapshot = self._ensure_keyword()
        of, results = self._results
        if of is not snapshot:
            results = Recent(512)
            self._results = (snapshot, results)
        key = (query, k, filters.model_dump_json(), mode, fetch)
        return list(results.get(key, lambda: self.rank(query, *self.candidates(query, filters, mode, max(fetch, k * 4), snapshot), filters, k, mode)))

    def forget_results(self) -> None:
        """Drop the kept search results, so that the next searches ask the stores again."""
        self._results = (None, Recent(0))

    def candidates(self, query: str, filters: SearchFilters, mode: str, fetch: int, snapshot: tuple[ViewSearcher, Rows] | None = None) -> tuple[list[tuple[str, float]], list[tuple[str, float]], Rows]:
        """The dense and keyword candidate lists (chunk id, score) that :meth:`rank` fuses (over ``snapshot``, else the current view)."""
        keyword_index, rows = snapshot or self._ensure_keyword()
        dense: list[tuple[str, float]] = []
        keyword: list[tuple[str, float]] = []
        if mode in ("hybrid", "dense"):
            vector = self.embedder.embed_query(query)
            dense = [(cid, score) for cid, score in self.store.query(vector, fetch, filters.chroma_where()) if cid in rows.position]
            if filters.region:
                dense = [(cid, score) for cid, score in dense if filters.accepts(rows.metas[rows.position[cid]])]
        if mode in ("hybrid", "keyword"):
            keyword = keyword_index.search(query, fetch, rows.mask(filters))
        return dense, keyword, rows

    def rank(self, query: str, dense: list[tuple[str, float]], keyword: list[tuple[str, float]], rows: Rows, filters: SearchFilters, k: int, mode: str) -> list[Hit]:
        """Rank the candidate lists, prefer the section kinds the query asks for, drop near-duplicates.

        ``keyword`` and ``dense`` modes rank their one list; ``hybrid`` keeps the keyword mode's first
        passages in place and fills below from the score fusion (retrieval.search.keyword_first).
        """
        wanted = intended_kinds(query) if not filters.kinds else set()

        def ranked(scores: dict[str, float]) -> list[Hit]:
            if wanted:
                scores = {cid: score * (INTENT_BOOST if rows.metas[rows.position[cid]]["section_kind"] in wanted else 1.0) for cid, score in scores.items()}
            return self._hits(scores, dense, keyword, rows, k)

        if mode != "hybrid":
            return ranked(rrf([[cid for cid, _ in dense], [cid for cid, _ in keyword]]))[:k]
        return keyword_first(ranked(rrf([[cid for cid, _ in keyword]])), ranked(score_fusion(dense, keyword, DENSE_WEIGHT)), k)

    @staticmethod
    def _hits(scores: dict[str, float], dense: list[tuple[str, float]], keyword: list[tuple[str, float]], rows: Rows, k: int) -> list[Hit]:
        """The best-scored chunks as hits (3 × ``k`` looked at), near-duplicates collapsed."""
        dense_scores, keyword_scores = dict(dense), dict(keyword)
        hits = []
        for chunk_id, score in sorted(scores.items(), key=lambda item: item[1], reverse=True)[: k * 3]:
            i = rows.position[chunk_id]
            meta = rows.metas[i]
            hits.append(
                Hit(
                    chunk_id=chunk_id,
                    doc_id=meta["doc_id"],
                    text=rows.texts[i],
                    score=round(score, 6),
                    dense_score=round(dense_scores[chunk_id], 4) if chunk_id in dense_scores else None,
                    keyword_score=round(keyword_scores[chunk_id], 4) if chunk_id in keyword_scores else None,
                    section_kind=meta["section_kind"],
                    doc_kind=meta.get("doc_kind", "report"),
                    year=meta.get("year"),
                    region=meta.get("region"),
                    citation=make_citation(meta),
                )
            )
        return collapse_near_duplicates(hits)

    def passage(self, doc_id: str, ordinal: int) -> Hit | None:
        """One chunk by document and position (for a UI that opens a citation)."""
        record = self.catalog().get(doc_id)
        if record is None:
            return None
        _, rows = self._ensure_keyword()
        i = rows.position.get(chunk_key(doc_id, record.generation, ordinal))
        if i is None:
            return None
        meta = rows.metas[i]
        return Hit(chunk_id=rows.ids[i], doc_id=doc_id, text=rows.texts[i], score=1.0, section_kind=meta["section_kind"], doc_kind=meta.get("doc_kind", "report"), year=meta.get("year"), region=meta.get("region"), citation=make_citation(meta))

