"""The in-memory keyword view of :mod:`retrieval.postings`: BM25 computed at query time from running totals.

The scores equal :class:`retrieval.keyword.KeywordIndex` built over the same
chunks (bm25s' Lucene BM25, k1 1.5, b 0.75): each posting keeps its raw term
frequency and its row's length, and document frequencies, the row count and
the total length are running totals updated per document. So a document is
added or removed by touching its own postings; rows keep their slot, a removed
one is masked until the next full load. The fusion of chunk and unit scores is
KeywordIndex's own (:meth:`KeywordIndex.over`).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

from retrieval.keyword import KEYWORD_VERSION, KeywordIndex, best_rows, chunk_token_lists, unit_token_lists
from retrieval.postings import DocPostings
from retrieval.search import Rows

K1, B = 1.5, 0.75  # bm25s defaults, as KeywordIndex.build uses them


def document_postings(doc_id: str, gen: str, ids: list[str], texts: list[str], bodies: list[str], metas: list[dict[str, Any]]) -> DocPostings:
    """Tokenize one document with the functions :meth:`KeywordIndex.build` uses (``texts``: index texts, ``bodies``: chunk texts)."""
    from retrieval.keyword import _jieba

    vocab: dict[str, int] = {}
    chunk_lists, words = chunk_token_lists(texts)
    parents, unit_lists = unit_token_lists(bodies)
    arrays: dict[str, np.ndarray] = {}
    for side, lists in (("c", chunk_lists), ("u", unit_lists)):
        tok, row_of, tf = [], [], []
        for r, tokens in enumerate(lists):
            for token, count in Counter(tokens).items():
                tok.append(vocab.setdefault(token, len(vocab)))
                row_of.append(r)
                tf.append(count)
        arrays[f"{side}_tok"] = np.asarray(tok, dtype=np.int32)
        arrays[f"{side}_row"] = np.asarray(row_of, dtype=np.int32)
        arrays[f"{side}_tf"] = np.asarray(tf, dtype=np.float32)
        arrays[f"{side}_len"] = np.asarray([len(tokens) for tokens in lists], dtype=np.float32)
    arrays["u_parent"] = np.asarray(parents, dtype=np.int32)
    full = _jieba()
    freqs = {word: max(int(full.FREQ.get(word) or 0), 1) for word in words if len(word) >= 2 and not any(ch.isspace() for ch in word)}
    return DocPostings(doc_id, gen, KEYWORD_VERSION, ids, texts=bodies, metas=metas, vocab=list(vocab), words=freqs, arrays=arrays)


def _grow(array: np.ndarray, size: int) -> np.ndarray:
    if size <= len(array):
        return array
    grown = np.zeros(max(size, 2 * len(array), 1024), dtype=array.dtype)
    grown[: len(array)] = array
    return grown


def _sorted_run(gids: np.ndarray, slots: np.ndarray, tfs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.argsort(gids, kind="stable")  # stable: a token's older slots stay first
    return gids[order], slots[order], tfs[order]


class _Runs:
    """Postings (token number → slots and term frequencies) as a few runs sorted by token number, never changed in place.

    Adding a batch sorts it once (no Python loop over its tokens); a lookup binary-searches each run.
    Past ``MAX_RUNS`` runs they are merged into one, so lookups stay a handful of searches."""

    MAX_RUNS = 8

    def __init__(self, runs: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...] = ()) -> None:
        self.runs = runs

    def plus(self, gids: np.ndarray, slots: np.ndarray, tfs: np.ndarray) -> "_Runs":
        runs = self.runs + (_sorted_run(gids, slots, tfs),)
        if len(runs) > self.MAX_RUNS:
            runs = (_sorted_run(*(np.concatenate([run[i] for run in runs]) for i in range(3))),)
        return _Runs(runs)

    def get(self, gid: int) -> tuple[np.ndarray, np.ndarray] | None:
        parts = []
        for gids, slots, tfs in self.runs:
            lo, hi = np.searchsorted(gids, gid, "left"), np.searchsorted(gids, gid, "right")
            if hi > lo:
                parts.append((slots[lo:hi], tfs[lo:hi]))
        if len(parts) <= 1:
            return parts[0] if parts else None
        return np.concatenate([part[0] for part in parts]), np.concatenate([part[1] for part in parts])


class _Side:
    """Postings of one granularity (chunks or units) over slots; new runs per change, so a running search keeps its own."""

    def __init__(self) -> None:
        self.post = _Runs()
        self.length = np.zeros(0, dtype=np.float32)
        self.alive = np.zeros(0, dtype=np.float32)
        self.df = np.zeros(0, dtype=np.int64)
        self.size = 0
        self.n = 0
        self.total = 0.0

    def add(self, gids: np.ndarray, slots: np.ndarray, tfs: np.ndarray, lengths: np.ndarray, vocab_size: int) -> None:
        start = self.size
        self.size += len(lengths)
        self.length, self.alive = _grow(self.length, self.size), _grow(self.alive, self.size)
        self.length[start : self.size] = lengths
        self.alive[start : self.size] = 1.0
        self.n += len(lengths)
        self.total += float(lengths.sum())
        self.df = _grow(self.df, vocab_size)
        self.df[: vocab_size] += np.bincount(gids, minlength=vocab_size)[:vocab_size]
        self.post = self.post.plus(gids, slots, tfs)

    def remove(self, gids: np.ndarray, slots: np.ndarray) -> None:
        """Mask ``slots`` and take their postings (``gids``, one per token and row) out of the totals."""
        self.alive[slots] = 0.0
        self.n -= len(slots)
        self.total -= float(self.length[slots].sum())
        self.df[: len(self.df)] -= np.bincount(gids, minlength=len(self.df))[: len(self.df)]

    def scorer(self, vocab: dict[str, int]) -> "_Scorer":
        return _Scorer(vocab, self.post, self.length, self.alive, self.df, self.size, self.n, self.total / self.n if self.n else 1.0)


class _Scorer:
    """The ``top`` of one side at one moment, as KeywordIndex expects of its score matrices."""

    def __init__(self, vocab: dict[str, int], post: "_Runs", length: np.ndarray, alive: np.ndarray, df: np.ndarray, size: int, n: int, avgdl: float) -> None:
        self.vocab, self.post, self.length, self.alive, self.df = vocab, post, length, alive, df
        self.num_docs, self.n, self.avgdl = size, n, avgdl

    def top(self, tokens: list[str], k: int, mask: np.ndarray | None) -> list[tuple[int, float]]:
        totals = np.zeros(self.num_docs, dtype=np.float32)
        for token in tokens:
            gid = self.vocab.get(token)
            entry = self.post.get(gid) if gid is not None else None
            if entry is None:
                continue
            slots, tf = entry
            df = int(self.df[gid])
            if df <= 0:
                continue
            idf = np.float32(math.log(1 + (self.n - df + 0.5) / (df + 0.5)))
            tfc = tf / (K1 * ((1 - B) + B * self.length[slots] / self.avgdl) + tf)
            totals[slots] += (idf * tfc).astype(np.float32) * self.alive[slots]
        return best_rows(totals, k, mask)


class _QueryDict:
    """The index's own words as a jieba dictionary (word → frequency, prefixes at 0), changed word by word.

    Queries are cut with it, never with jieba's full dictionary (a second to load). A removed word
    keeps a 0 entry, which jieba reads as "not a word", as if the dictionary had been rebuilt.
    """

    def __init__(self) -> None:
        self.freq: dict[str, int] = {}
        self.total = 0

    def add(self, words: dict[str, int]) -> None:
        for word, freq in words.items():
            self.total += freq - self.freq.get(word, 0)
            self.freq[word] = freq
            for end in range(1, len(word)):
                self.freq.setdefault(word[:end], 0)

    def drop(self, words: set[str]) -> None:
        for word in words:
            self.total -= self.freq.get(word, 0)
            self.freq[word] = 0

    def tokenizer(self) -> Any:
        import jieba

        tokenizer = jieba.Tokenizer(dictionary="jixiao-query-words")
        tokenizer.FREQ, tokenizer.total = dict(self.freq), self.total
        tokenizer.initialized = True
        return tokenizer


class KeywordView:
    """Every live document's postings in memory, changed one document at a time."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.chunks, self.units = _Side(), _Side()
        self.ids: list[str] = []
        self.texts: list[str] = []
        self.metas: list[dict[str, Any]] = []
        self.unit_parent = np.zeros(0, dtype=np.int64)
        self.words = _QueryDict()  # jieba words of the live chunks
        self._word_docs: Counter[str] = Counter()
        self._doc_words: dict[str, list[str]] = {}
        self.docs: dict[str, dict[str, np.ndarray]] = {}  # doc_id → its slots and global token numbers, to remove it
        self._tokenizer: Any = None

    def dead_share(self) -> float:
        return 1.0 - self.chunks.n / self.chunks.size if self.chunks.size else 0.0

    def add(self, docs: list[DocPostings]) -> None:
        """Append documents' rows (a document already held is replaced); one merge per side for the whole batch."""
        self.remove([doc.doc_id for doc in docs if doc.doc_id in self.docs])
        parts: dict[str, list[np.ndarray]] = {key: [] for key in ("c_g", "c_s", "c_tf", "c_len", "u_g", "u_s", "u_tf", "u_len")}
        c0, u0 = self.chunks.size, self.units.size
        parents = [self.unit_parent]
        for doc in docs:
            a = doc.arrays
            gmap = np.asarray([self.vocab.setdefault(token, len(self.vocab)) for token in doc.vocab] or [0], dtype=np.int64)
            entry = {"c_g": gmap[a["c_tok"]], "u_g": gmap[a["u_tok"]], "rows": np.arange(c0, c0 + len(doc.ids)), "units": np.arange(u0, u0 + len(a["u_len"]))}
            self.docs[doc.doc_id] = entry
            for side, start in (("c", c0), ("u", u0)):
                parts[f"{side}_g"].append(entry[f"{side}_g"])
                parts[f"{side}_s"].append(a[f"{side}_row"].astype(np.int64) + start)
                parts[f"{side}_tf"].append(a[f"{side}_tf"])
                parts[f"{side}_len"].append(a[f"{side}_len"])
            parents.append(a["u_parent"].astype(np.int64) + c0)
            c0, u0 = c0 + len(doc.ids), u0 + len(a["u_len"])
            self.ids += doc.ids
            self.texts += doc.texts
            self.metas += doc.metas
            self._doc_words[doc.doc_id] = list(doc.words)
            self._word_docs.update(list(doc.words))  # one per document, not the frequencies
            if any(not self.words.freq.get(word) for word in doc.words):
                self.words.add(doc.words)
                self._tokenizer = None
        if not docs:
            return
        joined = {key: np.concatenate(value) for key, value in parts.items()}
        self.chunks.add(joined["c_g"], joined["c_s"], joined["c_tf"], joined["c_len"], len(self.vocab))
        self.units.add(joined["u_g"], joined["u_s"], joined["u_tf"], joined["u_len"], len(self.vocab))
        self.unit_parent = np.concatenate(parents)

    def remove(self, doc_ids: list[str]) -> None:
        for doc_id in doc_ids:
            entry = self.docs.pop(doc_id, None)
            if entry is not None:
                self.chunks.remove(entry["c_g"], entry["rows"])
                self.units.remove(entry["u_g"], entry["units"])
            words = self._doc_words.pop(doc_id, [])
            gone = {word for word in words if self._word_docs[word] == 1}
            self._word_docs.subtract(words)
            if gone:
                self.words.drop(gone)
                self._tokenizer = None

    def snapshot(self) -> tuple["ViewSearcher", Rows]:
        """A searcher and the rows of the live chunks, consistent with each other and unaffected by later changes."""
        if self._tokenizer is None and self.words.total:
            self._tokenizer = self.words.tokenizer()
        live = np.flatnonzero(self.chunks.alive[: self.chunks.size] > 0)
        rows = Rows([self.ids[i] for i in live], [self.texts[i] for i in live], [self.metas[i] for i in live])
        index = KeywordIndex.over(list(self.ids), self.unit_parent, self.chunks.scorer(self.vocab), self.units.scorer(self.vocab), self._tokenizer)
        return ViewSearcher(index, live, self.chunks.size), rows


class ViewSearcher:
    """KeywordIndex.search over slots, with filter masks given over the live rows."""

    def __init__(self, index: KeywordIndex, live: np.ndarray, size: int) -> None:
        self.index, self.live, self.size = index, live, size

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        slot_mask = None
        if mask is not None:
            slot_mask = np.zeros(self.size, dtype=np.float32)
            slot_mask[self.live] = mask
        return self.index.search(query, k, slot_mask)
