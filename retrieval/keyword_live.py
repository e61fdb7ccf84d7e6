"""The keyword side of a data directory as every process sees it: the shared postings, the catalog, and this process's view.

A search first compares the postings' generation with the one its view was
built at (one small query); when another process (a CLI ``jixiao ingest``,
another server worker) has changed documents, only those are applied. A
document the catalog holds but the postings lack (an ingest that stopped
between the two commits, a data directory from before the postings) is
tokenized from its chunks in Chroma and written back, once, for everyone.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retrieval.errors import StoreError
from retrieval.keyword import KEYWORD_VERSION, grow_terms
from retrieval.keyword_view import KeywordView, ViewSearcher, document_postings
from retrieval.postings import DocPostings, PostingsStore
from retrieval.search import Rows

if TYPE_CHECKING:
    from retrieval.store import ChromaStore

log = logging.getLogger(__name__)
#: Share of masked (removed or replaced) rows at which the view is rebuilt from the postings.
COMPACT_AT = 0.5
_TABLE_KINDS = ("scoring_table", "findings_list")


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a while (then back on if it was on).

    Loading the postings makes some 10^5 small objects (rows, metadata, words), none in a cycle;
    while they are made, each full pass of the collector also walks every object the process
    already holds (chromadb's, pydantic's), which in a ``jixiao search`` process cost more than the load."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class LiveKeyword:
    """Postings on disk + the view of them in memory, for one process."""

    def __init__(self, path: Path, store: "ChromaStore", live: Callable[[], dict[str, str]]) -> None:
        self.postings = PostingsStore(path)
        self.store = store
        self._live = live  # doc_id → committed generation, read fresh from the catalog
        self._lock = threading.RLock()
        self._view: KeywordView | None = None
        self._gens: dict[str, str] = {}
        self._seen = -1
        self._recheck = False
        self._snapshot: tuple[ViewSearcher, Rows] | None = None
        self._terms_loaded = False

    def generation(self) -> int:
        return self.postings.generation()

    def invalidate(self) -> None:
        """Compare with the catalog on the next search even if the postings did not change (Chroma written directly)."""
        self._recheck = True

    # ── writing ──────────────────────────────────────────────────────────────
    def tokenize(self, docs: list[tuple[str, str, list[str], list[str], list[dict[str, Any]]]]) -> list[DocPostings]:
        """Postings of (doc_id, generation, chunk ids, chunk texts, chunk metadata) documents; their tables grow the dictionary first."""
        if not self._terms_loaded:
            grow_terms(self.postings.terms())
            self._terms_loaded = True
        rows = [Rows(ids, texts, metas) for _, _, ids, texts, metas in docs]
        tables = [text for part in rows for text, meta in zip(part.texts, part.metas) if meta.get("section_kind") in _TABLE_KINDS]
        terms = grow_terms(tables)
        out = [document_postings(doc_id, gen, part.ids, [part.index_text(i) for i in range(len(part.ids))], part.texts, part.metas) for (doc_id, gen, *_), part in zip(docs, rows)]
        try:
            self.postings.add_terms(terms)
        except StoreError as exc:
            log.warning("%s", exc)
        return out

    def write(self, docs: list[tuple[str, str, list[str], list[str], list[dict[str, Any]]]]) -> list[DocPostings]:
        """Tokenize and store documents; a failed write is logged (search rebuilds them from Chroma), never raised."""
        postings = self.tokenize(docs)
        try:
            self.postings.put(postings)
        except StoreError as exc:
            log.warning("关键词索引无法保存：%s 本次在内存中使用。", exc)
        return postings

    def remove(self, doc_ids: list[str]) -> None:
        try:
            self.postings.remove(doc_ids)
        except StoreError as exc:
            log.warning("%s", exc)

    # ── reading ──────────────────────────────────────────────────────────────
    def current(self) -> tuple[ViewSearcher, Rows]:
        """The searcher and rows of the live catalog, refreshed when any process changed it since."""
        snapshot = self._snapshot
        if snapshot is not None and not self._recheck and self._seen == self.postings.generation():
            return snapshot
        with self._lock:
            generation = self.postings.generation()
            if self._snapshot is not None and not self._recheck and self._seen == generation:
                return self._snapshot
            self._recheck = False
            changed: set[str] | None = None
            if self._view is not None and self._seen >= 0:
                _, changed = self.postings.changed_since(self._seen)
            if self._view is None or changed is None or self._view.dead_share() > COMPACT_AT:
                self._view, self._gens, changed = KeywordView(), {}, set()
            with _collector_paused():
                self._apply(self._view, changed)
                self._seen = generation
                self._snapshot = self._view.snapshot()
            return self._snapshot

    def _apply(self, view: KeywordView, changed: set[str]) -> None:
        live = self._live()
        drop = [doc_id for doc_id, gen in self._gens.items() if doc_id in changed or live.get(doc_id) != gen]
        view.remove(drop)
        for doc_id in drop:
            self._gens.pop(doc_id, None)
        wanted = sorted(doc_id for doc_id, gen in live.items() if self._gens.get(doc_id) != gen)
        if not wanted:
            return
        stored = {doc.doc_id: doc for doc in self.postings.get(wanted) if doc.gen == live[doc.doc_id]}
        fresh = {doc.doc_id: doc for doc in stored.values() if doc.version == KEYWORD_VERSION}
        retokenize = [(d.doc_id, d.gen, d.ids, d.texts, d.metas) for d in stored.values() if d.version != KEYWORD_VERSION]
        retokenize += [self._from_chroma(doc_id, live[doc_id]) for doc_id in wanted if doc_id not in stored]
        if retokenize:
            fresh.update((doc.doc_id, doc) for doc in self.write(retokenize))
        view.add([fresh[doc_id] for doc_id in wanted if doc_id in fresh])
        self._gens.update((doc_id, live[doc_id]) for doc_id in wanted if doc_id in fresh)

    def _from_chroma(self, doc_id: str, gen: str) -> tuple[str, str, list[str], list[str], list[dict[str, Any]]]:
        ids, metas, texts = self.store.document_chunks(doc_id, gen)
        order = sorted(range(len(ids)), key=lambda i: metas[i]["ordinal"])
        return doc_id, gen, [ids[i] for i in order], [texts[i] for i in order], [metas[i] for i in order]
