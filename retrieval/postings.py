"""The keyword index on disk: one row of postings per document in SQLite, shared by every process of a data directory.

Adding, replacing or removing a document writes that document's row and one
line of the change log, nothing else, so it costs what the document costs.
The change log's last number is the *catalog generation*: every process that
searches compares it with the one it has loaded (one cheap query) and applies
only the documents changed since. WAL mode lets readers go on while one
process writes; ``busy_timeout`` makes concurrent writers wait their turn.
"""

from __future__ import annotations

import io
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.errors import StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    doc_id TEXT PRIMARY KEY,
    gen TEXT NOT NULL,
    version TEXT NOT NULL,
    rows TEXT NOT NULL,
    vocab TEXT NOT NULL,
    words TEXT NOT NULL,
    arrays BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS terms (term TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL);
"""
#: Change-log lines kept; a process further behind than this reloads everything.
KEEP_CHANGES = 5000


@dataclass
class DocPostings:
    """One document's rows and its chunk- and unit-level term frequencies (local token numbers)."""

    doc_id: str
    gen: str
    version: str
    ids: list[str]
    texts: list[str]
    metas: list[dict[str, Any]]
    vocab: list[str]
    words: dict[str, int]  # jieba words of the chunks with jieba's frequency (the query dictionary)
    arrays: dict[str, np.ndarray]  # c_tok c_row c_tf c_len / u_tok u_row u_tf u_len u_parent


def _pack(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def _unpack(blob: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(blob)) as data:
        return {name: data[name] for name in data.files}


class PostingsStore:
    """``keyword.sqlite3`` in the data directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"无法打开关键词索引 {path}（{exc}）：数据目录须可写、磁盘须有空间。请检查该目录的权限和磁盘空间，或用 --home / JIXIAO_HOME 换一个数据目录。") from exc

    def generation(self) -> int:
        """The number of the last change (0 for an empty index); any process's commit raises it."""
        with self._lock:
            row = self._db.execute("SELECT max(seq) FROM changes").fetchone()
        return int(row[0] or 0)

    def changed_since(self, seq: int) -> tuple[int, set[str] | None]:
        """(current generation, documents changed after ``seq``); ``None`` when the log no longer reaches back that far."""
        with self._lock:
            rows = self._db.execute("SELECT seq, doc_id FROM changes WHERE seq > ? ORDER BY seq", (seq,)).fetchall()
            first = self._db.execute("SELECT min(seq) FROM changes").fetchone()[0]
        if not rows:
            return seq, set()
        if first is not None and seq and first > seq + 1:
            return int(rows[-1][0]), None
        return int(rows[-1][0]), {doc_id for _, doc_id in rows}

    def _write(self, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        try:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    for sql, args in statements:
                        self._db.execute(sql, args)
                    self._db.execute("DELETE FROM changes WHERE seq <= (SELECT max(seq) FROM changes) - ?", (KEEP_CHANGES,))
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
        except sqlite3.OperationalError as exc:  # disk full, read-only: the documents stay committed in Chroma
            raise StoreError(f"无法写入关键词索引 {self.path}（{exc}）：磁盘已满或数据目录只读。请释放磁盘空间或检查权限；下次检索时会从向量库补建。") from exc

    def put(self, docs: list[DocPostings]) -> None:
        """Write (or replace) documents' postings in one transaction, one change-log line each."""
        statements: list[tuple[str, tuple[Any, ...]]] = []
        for doc in docs:
            rows = json.dumps({"ids": doc.ids, "texts": doc.texts, "metas": doc.metas}, ensure_ascii=False)
            words = "\n".join(f"{word} {freq}" for word, freq in sorted(doc.words.items()))
            statements.append(
                ("INSERT OR REPLACE INTO docs (doc_id, gen, version, rows, vocab, words, arrays) VALUES (?, ?, ?, ?, ?, ?, ?)", (doc.doc_id, doc.gen, doc.version, rows, "\n".join(doc.vocab), words, _pack(doc.arrays)))
            )
            statements.append(("INSERT INTO changes (doc_id) VALUES (?)", (doc.doc_id,)))
        if statements:
            self._write(statements)

    def remove(self, doc_ids: list[str]) -> None:
        statements: list[tuple[str, tuple[Any, ...]]] = []
        for doc_id in doc_ids:
            statements += [("DELETE FROM docs WHERE doc_id = ?", (doc_id,)), ("INSERT INTO changes (doc_id) VALUES (?)", (doc_id,))]
        if statements:
            self._write(statements)

    def versions(self) -> dict[str, tuple[str, str]]:
        """doc_id → (generation, keyword version) of every stored document."""
        with self._lock:
            return {doc_id: (gen, version) for doc_id, gen, version in self._db.execute("SELECT doc_id, gen, version FROM docs")}

    def get(self, doc_ids: list[str]) -> list[DocPostings]:
        found: list[DocPostings] = []
        for i in range(0, len(doc_ids), 200):
            part = doc_ids[i : i + 200]
            marks = ",".join("?" * len(part))
            with self._lock:
                records = self._db.execute(f"SELECT doc_id, gen, version, rows, vocab, words, arrays FROM docs WHERE doc_id IN ({marks})", part).fetchall()
            for doc_id, gen, version, rows_json, vocab, words, blob in records:
                rows = json.loads(rows_json)
                pairs = (line.rsplit(" ", 1) for line in words.split("\n") if line)
                found.append(DocPostings(doc_id, gen, version, rows["ids"], rows["texts"], rows["metas"], vocab.split("\n") if vocab else [], {w: int(f) for w, f in pairs}, _unpack(blob)))
        return sorted(found, key=lambda doc: doc.doc_id)

    def terms(self) -> list[str]:
        with self._lock:
            return [term for (term,) in self._db.execute("SELECT term FROM terms")]

    def add_terms(self, terms: list[str]) -> None:
        if terms:
            self._write([("INSERT OR IGNORE INTO terms (term) VALUES (?)", (term,)) for term in terms])
