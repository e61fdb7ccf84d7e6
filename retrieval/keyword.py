"""Chinese keyword search: jieba tokens scored by BM25 (bm25s), persisted beside the vector store.

Chroma's own full-text filter is trigram based and misses two-character
Chinese terms (资金, 采购), so keyword search lives here.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path

import bm25s
import jieba
import numpy as np

jieba.setLogLevel(logging.WARNING)

# Terms of the trade that jieba would otherwise cut in the wrong place.
DOMAIN_TERMS = (
    "预算执行率", "资金到位率", "资金拨付", "政府采购", "绩效目标", "绩效指标", "问题清单", "评分表",
    "等级保护", "等保测评", "政务云", "雪亮工程", "一网通办", "运维报告", "资产移交", "合同变更",
    "补充协议", "验收报告", "质保金", "尾款", "结余", "结转", "满意度", "成本节约率", "整改",
)
for _term in DOMAIN_TERMS:
    jieba.add_word(_term)

STOPWORDS = frozenset("的 了 和 与 及 等 在 是 对 为 中 将 有 或 并 其 该 由 于 以 把 被 之 也 都 而 但 如 个 一 上 下 不 要 就 从 向 到 之间 以及 进行 相关 情况 存在 方面 怎么 如何 什么 哪些 以往 报告 里".split())
_TOKEN = re.compile(r"[\u4e00-\u9fffA-Za-z0-9%.]+")


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens without punctuation and stop words."""
    tokens = []
    for token in jieba.cut_for_search(text):
        token = token.strip().lower()
        if token and _TOKEN.fullmatch(token) and token not in STOPWORDS:
            tokens.append(token)
    return tokens


class KeywordIndex:
    """BM25 over chunk texts; rows are addressed by position in ``ids``."""

    def __init__(self, ids: list[str], retriever: bm25s.BM25 | None) -> None:
        self.ids = ids
        self.position = {chunk_id: i for i, chunk_id in enumerate(ids)}
        self._retriever = retriever

    @classmethod
    def build(cls, ids: list[str], texts: list[str]) -> "KeywordIndex":
        if not ids:
            return cls([], None)
        retriever = bm25s.BM25()
        retriever.index([tokenize(text) or ["∅"] for text in texts], show_progress=False)
        return cls(ids, retriever)

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Top ``k`` (chunk id, score) with a positive score; ``mask`` (0/1 per row) applies filters."""
        tokens = tokenize(query)
        if self._retriever is None or not tokens or k <= 0:
            return []
        k = min(k, len(self.ids))
        rows, scores = self._retriever.retrieve([tokens], k=k, show_progress=False, weight_mask=mask, n_threads=1)
        return [(self.ids[int(row)], float(score)) for row, score in zip(rows[0], scores[0]) if score > 0]

    def save(self, directory: Path, version: str) -> None:
        """Write to a temporary folder, then swap it in, so a crash never leaves half an index."""
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            tmp.mkdir(parents=True)
            if self._retriever is not None:
                self._retriever.save(str(tmp), show_progress=False)
            (tmp / "ids.json").write_text(json.dumps({"version": version, "ids": self.ids}, ensure_ascii=False), encoding="utf-8")
        except BaseException:  # disk full, read-only: the previous index stays, no half-written folder is left
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        old = directory.with_name(directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            directory.rename(old)
        tmp.rename(directory)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path, version: str) -> "KeywordIndex | None":
        """The saved index if it was built for ``version`` of the catalog, else ``None``."""
        try:
            meta = json.loads((directory / "ids.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if meta.get("version") != version:
            return None
        ids = meta["ids"]
        if not ids:
            return cls([], None)
        try:
            retriever = bm25s.BM25.load(str(directory), show_progress=False, verbosity=0)
        except Exception:  # a damaged index is rebuilt, never trusted
            return None
        return cls(ids, retriever)
