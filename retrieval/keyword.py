"""Chinese keyword search: jieba tokens plus character bigrams scored by BM25 (bm25s), persisted beside the vector store.

Chroma's own full-text filter is trigram based and misses two-character
Chinese terms (资金, 采购), so keyword search lives here.

Two granularities are indexed: whole chunks, and the small units inside them
(sentences and table rows). A chunk's keyword score is its own scaled BM25
score plus :data:`UNIT_WEIGHT` × the scaled score of its best unit, so a short
table row or one sentence that matches well is found even when the rest of its
chunk is about something else, and the chunk (with its section) is returned.
Character bigrams back up jieba where it cuts a colloquial or rare phrase
differently in the query and in the report ("先干活后签合同"). A query is also
matched by the report-language synonyms of its colloquial words
(:data:`SYNONYMS`: 走过场 → 流于形式, 虚机 → 云资源), and each pair of
consecutive sentences is a unit too, for an answer that spans both.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path

import threading
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import bm25s

# Terms of the trade that jieba would otherwise cut in the wrong place.
DOMAIN_TERMS = (
    "预算执行率", "资金到位率", "资金拨付", "政府采购", "绩效目标", "绩效指标", "问题清单", "评分表",
    "等级保护", "等保测评", "政务云", "雪亮工程", "一网通办", "运维报告", "资产移交", "合同变更",
    "补充协议", "验收报告", "质保金", "尾款", "结余", "结转", "满意度", "成本节约率", "整改",
)
#: How reviewers ask (colloquial, left) beside how reports write it: a query that holds one term of a
#: group is also matched by the others. Domain usage, not a general thesaurus: each group is words that
#: 绩效评价 reports use for the same finding.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("拨付", "下达", "到位", "付款", "支付"),
    ("滞后", "不及时", "延迟", "拖延", "推迟", "延后", "偏慢", "迟缓"),
    ("闲置", "空转", "闲着", "利用率", "利用效率"),
    ("虚机", "虚拟机", "云资源"),
    ("放行", "验收"),
    ("走过场", "流于形式"),
    ("门可罗雀", "没人用", "活跃度", "使用频次"),
    ("中介", "第三方", "外部机构"),
    ("打分", "评分", "得分"),
    ("根子", "症结", "原因"),
    ("上马", "立项", "审批"),
    ("档次", "等次", "等级"),
    ("剩", "结余", "沉淀"),
    ("留痕", "记录", "台账"),
    ("掉线", "中断", "故障"),
    ("考评", "考核"),
    ("自己填", "自行填报", "自报"),
    ("没干完", "未完成", "未完工"),
    ("少交", "缺失", "不完整", "残缺"),
    ("结账", "结算"),
    ("门槛", "前置条件"),
    ("最后一关", "终验", "竣工验收"),
    ("承包方", "乙方", "服务商", "供应商", "运维单位"),
    ("甲方", "建设单位", "业主单位"),
    ("压减", "削减", "核减", "调减"),
    ("来年", "下一年度", "以后年度"),
    ("最高档", "优秀"),
    ("总分", "总得分", "评分结果", "综合得分"),
    ("开支", "支出", "费用", "成本"),
    ("核算", "归集", "统计"),
    ("给自己打", "自评"),
)
#: Frequency given to domain terms and to the terms grown from tables (jieba's add_word default is lower).
_TERM_FREQ = 2000
_TERM_CELL = re.compile(r"^[\u4e00-\u9fff]{3,10}$")
_QUERY_DICT = "query_dict.txt"

_lock = threading.Lock()
_full: Any = None


def _jieba() -> Any:
    """jieba's default tokenizer with the domain terms, loaded on first use (its dictionary costs about a second)."""
    global _full
    with _lock:
        if _full is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            for term in DOMAIN_TERMS:
                jieba.add_word(term, _TERM_FREQ)
            _full = jieba.dt
        return _full


def grow_terms(table_rows: list[str]) -> list[str]:
    """Domain terms grown from the corpus: short all-Chinese cells of scoring tables and findings lists.

    Indicator names (预算执行率, 资金使用合规性) and 问题定性 (政府采购管理不规范) are the
    words reviewers ask with; jieba's general dictionary cuts many of them apart.
    """
    terms = sorted({cell.strip() for row in table_rows for cell in row.split("\t") if _TERM_CELL.match(cell.strip())})
    tokenizer = _jieba()
    for term in terms:
        if tokenizer.FREQ.get(term) != _TERM_FREQ:  # adding a word again would raise jieba's total, shifting every cut
            tokenizer.add_word(term, _TERM_FREQ)
    return terms


#: Bump when tokenizing or unit splitting changes: a saved index of another version is rebuilt.
KEYWORD_VERSION = "bigram-units-2"
#: Weight of the best unit's scaled score added to the chunk's scaled score (tuned on the tune split).
UNIT_WEIGHT = 1.0
#: Consecutive sentences (or rows) joined into one more unit; 1 indexes sentences and rows alone.
UNIT_WINDOW = 2
_UNIT_SPLIT = re.compile(r"(?<=[。；;！？!?\n])")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")

STOPWORDS = frozenset("的 了 和 与 及 等 在 是 对 为 中 将 有 或 并 其 该 由 于 以 把 被 之 也 都 而 但 如 个 一 上 下 不 要 就 从 向 到 之间 以及 进行 相关 情况 存在 方面 怎么 如何 什么 哪些 以往 报告 里".split())
_TOKEN = re.compile(r"[\u4e00-\u9fffA-Za-z0-9%.]+")


def tokenize(text: str, tokenizer: Any = None) -> list[str]:
    """Search-mode jieba tokens without punctuation and stop words (``tokenizer``: jieba's full one by default)."""
    tokens = []
    for token in (tokenizer or _jieba()).cut_for_search(text):
        token = token.strip().lower()
        if token and _TOKEN.fullmatch(token) and token not in STOPWORDS:
            tokens.append(token)
    return tokens


def bigrams(text: str) -> list[str]:
    """Overlapping two-character pieces of each run of Chinese characters."""
    return [run[i : i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)]


def index_tokens(text: str, tokenizer: Any = None) -> list[str]:
    """What the BM25 indexes see: jieba search-mode tokens followed by character bigrams."""
    return tokenize(text, tokenizer) + bigrams(text)


def _write_query_dict(path: Path, words: set[str]) -> None:
    """The index's own vocabulary as a jieba dictionary, with jieba's frequencies (a few thousand lines).

    Queries are cut with it instead of jieba's 350,000-word dictionary, which takes
    about a second to load: a word the index does not hold scores nothing anyway.
    """
    full = _jieba()
    lines = [f"{word} {max(int(full.FREQ.get(word) or 0), 1)}" for word in sorted(words) if len(word) >= 2 and not any(ch.isspace() for ch in word)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _query_tokenizer(path: Path) -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer(dictionary=str(path))
    tokenizer.tmp_dir = str(path.parent)  # its cache beside the index, not in the shared temp folder
    tokenizer.initialize()
    return tokenizer


def units(text: str) -> list[str]:
    """The small units of a chunk text: its sentences and lines (a table row is one line), and each
    window of :data:`UNIT_WINDOW` consecutive ones (an answer often spans a sentence and the next)."""
    pieces = [piece for piece in _UNIT_SPLIT.split(text) if len(piece.strip()) > 3]
    windows = ["".join(pieces[i : i + UNIT_WINDOW]) for i in range(len(pieces) - UNIT_WINDOW + 1)] if UNIT_WINDOW > 1 and len(pieces) > UNIT_WINDOW else []
    return pieces + windows


#: The token of a chunk or unit that has none, so that every row has a length.
EMPTY = "∅"


def chunk_token_lists(texts: list[str]) -> tuple[list[list[str]], set[str]]:
    """The tokens each chunk is indexed by (its words and character bigrams), and the words seen: one recipe
    for :meth:`KeywordIndex.build` and for a document's postings."""
    words: set[str] = set()
    lists = []
    for text in texts:
        tokens = tokenize(text)
        words.update(tokens)
        lists.append((tokens + bigrams(text)) or [EMPTY])
    return lists, words


def unit_token_lists(bodies: list[str]) -> tuple[list[int], list[list[str]]]:
    """The units of each chunk text (:func:`units`): the row each belongs to, and its tokens."""
    parents: list[int] = []
    lists: list[list[str]] = []
    for row, body in enumerate(bodies):
        for unit in units(body):
            parents.append(row)
            lists.append(index_tokens(unit) or [EMPTY])
    return parents, lists


def expansion(query: str) -> list[str]:
    """The other terms of each :data:`SYNONYMS` group one of whose terms the query contains."""
    extra: list[str] = []
    for group in SYNONYMS:
        if any(term in query for term in group):
            extra.extend(term for term in group if term not in query and term not in extra)
    return extra


def _scaled(pairs: list[tuple[int, float]]) -> dict[int, float]:
    if not pairs:
        return {}
    top = max(score for _, score in pairs)
    low = min(score for _, score in pairs)
    span = top - low
    return {row: (score - low) / span if span > 1e-9 else 1.0 for row, score in pairs}


class _Scores:
    """A BM25 index's precomputed score matrix (CSC: one column per token), scored with numpy alone.

    bm25s builds and saves it; searching needs only these arrays, so a search
    process does not import bm25s and scipy (about a second on this machine).
    """

    def __init__(self, vocab: dict[str, int], data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, num_docs: int) -> None:
        self.vocab, self.data, self.indices, self.indptr, self.num_docs = vocab, data, indices, indptr, num_docs

    @classmethod
    def of(cls, retriever: "bm25s.BM25") -> "_Scores":
        scores = retriever.scores
        return cls(dict(retriever.vocab_dict), np.asarray(scores["data"]), np.asarray(scores["indices"]), np.asarray(scores["indptr"]), int(scores["num_docs"]))

    @classmethod
    def load(cls, directory: Path) -> "_Scores":
        params = json.loads((directory / "params.index.json").read_text(encoding="utf-8"))
        vocab = json.loads((directory / "vocab.index.json").read_text(encoding="utf-8"))
        data, indices, indptr = (np.load(directory / f"{name}.csc.index.npy") for name in ("data", "indices", "indptr"))
        return cls(vocab, data, indices, indptr, int(params["num_docs"]))

    def top(self, tokens: list[str], k: int, mask: np.ndarray | None) -> list[tuple[int, float]]:
        """Top ``k`` (row, score) with a positive score; ``mask`` (0/1 per row) applies filters."""
        totals = np.zeros(self.num_docs, dtype=np.float32)
        for token in tokens:
            column = self.vocab.get(token)
            if column is None or column + 1 >= len(self.indptr):
                continue
            start, end = int(self.indptr[column]), int(self.indptr[column + 1])
            np.add.at(totals, self.indices[start:end], self.data[start:end])
        return best_rows(totals, k, mask)


def best_rows(totals: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The ``k`` rows of highest positive score in ``totals`` (masked in place), best first, ties in row order."""
    if mask is not None:
        totals *= mask
    k = min(k, len(totals))
    if k <= 0:
        return []
    best = np.argpartition(-totals, k - 1)[:k]
    best = best[np.argsort(-totals[best], kind="stable")]
    return [(int(row), float(totals[row])) for row in best if totals[row] > 0]


class KeywordIndex:
    """BM25 over chunk texts and over their units; rows are addressed by position in ``ids``."""

    def __init__(
        self,
        ids: list[str],
        retriever: "bm25s.BM25 | None",
        unit_rows: list[int] | None = None,
        unit_retriever: "bm25s.BM25 | None" = None,
        query_dict: Path | None = None,
        words: set[str] | None = None,
    ) -> None:
        self.ids = ids
        self._query_dict = query_dict
        self._words = words or set()
        self._tokenizer: Any = None
        self.position = {chunk_id: i for i, chunk_id in enumerate(ids)}
        self._retriever = retriever  # kept after a build, for save(); None after a load
        self._unit_rows = np.asarray(unit_rows or [], dtype=np.int64)
        self._unit_retriever = unit_retriever
        self._chunk_scores: _Scores | None = _Scores.of(retriever) if retriever is not None else None
        self._unit_scores: _Scores | None = _Scores.of(unit_retriever) if unit_retriever is not None else None

    def _query_tokens(self, query: str) -> list[str]:
        if self._tokenizer is None and self._query_dict is not None and self._query_dict.exists():
            try:
                self._tokenizer = _query_tokenizer(self._query_dict)
            except Exception:  # an unreadable dictionary: cut with jieba's full one
                self._query_dict = None
        tokens = index_tokens(query, self._tokenizer)
        for term in expansion(query):
            tokens.extend(index_tokens(term, self._tokenizer))
        return tokens

    @classmethod
    def build(cls, ids: list[str], texts: list[str], bodies: list[str] | None = None, table_rows: list[str] | None = None) -> "KeywordIndex":
        """Index ``texts`` (chunk with its title and headings); units come from ``bodies`` (the chunk text alone).

        ``table_rows`` (rows of scoring tables and findings lists) grow the jieba dictionary first.
        """
        if not ids:
            return cls([], None)
        import bm25s

        grow_terms(table_rows or [])
        chunk_tokens, words = chunk_token_lists(texts)
        retriever = bm25s.BM25()
        retriever.index(chunk_tokens, show_progress=False)
        unit_rows, unit_tokens = unit_token_lists(bodies if bodies is not None else texts)
        unit_retriever = None
        if unit_tokens:
            unit_retriever = bm25s.BM25()
            unit_retriever.index(unit_tokens, show_progress=False)
        return cls(ids, retriever, unit_rows, unit_retriever, words=words)

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Top ``k`` (chunk id, score) with a positive score; ``mask`` (0/1 per row) applies filters.

        The score is the chunk's scaled BM25 plus :data:`UNIT_WEIGHT` × its best unit's scaled BM25.
        """
        if self._chunk_scores is None or k <= 0:
            return []
        tokens = self._query_tokens(query)
        if not tokens:
            return []
        chunk = _scaled(self._chunk_scores.top(tokens, k, mask))
        best: dict[int, float] = {}
        if self._unit_scores is not None and len(self._unit_rows):
            unit_mask = mask[self._unit_rows] if mask is not None else None
            for unit_row, score in self._unit_scores.top(tokens, k * 3, unit_mask):
                row = int(self._unit_rows[unit_row])
                if score > best.get(row, 0.0):
                    best[row] = score
        unit = _scaled(list(best.items()))
        fused = {row: chunk.get(row, 0.0) + UNIT_WEIGHT * unit.get(row, 0.0) for row in set(chunk) | set(unit)}
        ranked = sorted(fused.items(), key=lambda item: item[1], reverse=True)[:k]
        return [(self.ids[row], score) for row, score in ranked if score > 0]

    def save(self, directory: Path, version: str) -> None:
        """Write to a temporary folder, then swap it in, so a crash never leaves half an index."""
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            tmp.mkdir(parents=True)
            if self._retriever is not None:
                self._retriever.save(str(tmp), show_progress=False)
            if self._unit_retriever is not None:
                self._unit_retriever.save(str(tmp / "units"), show_progress=False)
            if self._words:
                _write_query_dict(tmp / _QUERY_DICT, self._words)
            meta = {"version": f"{KEYWORD_VERSION}:{version}", "ids": self.ids, "unit_rows": self._unit_rows.tolist()}
            (tmp / "ids.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        except BaseException:  # disk full, read-only: the previous index stays, no half-written folder is left
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        old = directory.with_name(directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            directory.rename(old)
        tmp.rename(directory)
        shutil.rmtree(old, ignore_errors=True)
        if (directory / _QUERY_DICT).exists():  # cut queries the same way as after a load
            self._query_dict, self._tokenizer = directory / _QUERY_DICT, None

    @classmethod
    def load(cls, directory: Path, version: str) -> "KeywordIndex | None":
        """The saved index if it was built for ``version`` of the catalog, else ``None``."""
        try:
            meta = json.loads((directory / "ids.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if meta.get("version") != f"{KEYWORD_VERSION}:{version}":
            return None
        ids = meta["ids"]
        if not ids:
            return cls([], None)
        unit_rows = meta.get("unit_rows") or []
        try:
            chunk_scores = _Scores.load(directory)
            unit_scores = _Scores.load(directory / "units") if unit_rows else None
        except Exception:  # a damaged index is rebuilt, never trusted
            return None
        query_dict = directory / _QUERY_DICT
        index = cls(ids, None, unit_rows, None, query_dict if query_dict.exists() else None)
        index._chunk_scores, index._unit_scores = chunk_scores, unit_scores
        return index

    @classmethod
    def over(cls, ids: list[str], unit_rows: np.ndarray, chunk_scores: Any, unit_scores: Any, tokenizer: Any = None) -> "KeywordIndex":
        """This index's search over other score sources (objects with ``top(tokens, k, mask)``, as
        :mod:`retrieval.keyword_view` keeps them); ``tokenizer`` cuts queries (jieba's full one if ``None``)."""
        index = cls(ids, None, None, None)
        index._unit_rows = np.asarray(unit_rows, dtype=np.int64)
        index._chunk_scores, index._unit_scores, index._tokenizer = chunk_scores, unit_scores, tokenizer
        return index
