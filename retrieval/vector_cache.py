"""Vectors on disk keyed by (model, text hash), so nothing is embedded twice.

The bundled corpus ships its vectors (``corpus/vectors/*.npz``); loading them
into the cache makes the first start fast without running the model.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from retrieval.embedders import Embedder
from retrieval.errors import StoreError
from retrieval.recent import Recent

Progress = Callable[[int, int], None]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class VectorCache:
    """A SQLite table of float32 vectors; safe to delete (it is only a cache).

    One connection serves every thread of a server process: each call holds the cache's lock while it
    uses it, so one thread's transaction never takes in another's statements.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT, hash TEXT, vec BLOB, PRIMARY KEY (model, hash))")
            self._db.commit()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"无法打开向量缓存 {path}（{exc}）：数据目录须可写、磁盘须有空间。请检查该目录的权限和磁盘空间，或用 --home / JIXIAO_HOME 换一个数据目录。") from exc

    def get_many(self, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(hashes))
        for i in range(0, len(unique), 500):
            part = unique[i : i + 500]
            marks = ",".join("?" * len(part))
            with self._lock:
                rows = self._db.execute(f"SELECT hash, vec FROM vectors WHERE model = ? AND hash IN ({marks})", (model, *part)).fetchall()
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, items: dict[str, np.ndarray]) -> None:
        """Store vectors in one transaction: all of them or, if the disk is full or read-only, none and a :class:`StoreError`."""
        rows = [(model, key, np.asarray(vec, dtype=np.float32).tobytes()) for key, vec in items.items()]
        try:
            with self._lock, self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors (model, hash, vec) VALUES (?, ?, ?)", rows
                )
        except sqlite3.OperationalError as exc:  # "database or disk is full", "attempt to write a readonly database"
            raise StoreError(f"无法写入向量缓存 {self.path}（{exc}）：磁盘已满或数据目录只读。请释放磁盘空间或检查权限后重新导入；已导入的文档不受影响。") from exc

    def count(self, model: str) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM vectors WHERE model = ?", (model,)).fetchone()[0])

    def import_bundle(self, path: Path, model: str) -> int:
        """Load a shipped ``.npz`` of (hashes, vectors) for ``model``; returns how many were new."""
        with np.load(path, allow_pickle=False) as bundle:
            if str(bundle["model"]) != model:
                return 0
            hashes = [str(h) for h in bundle["hashes"]]
            vectors = bundle["vectors"].astype(np.float32)
        known = self.get_many(model, hashes)
        new = {h: v for h, v in zip(hashes, vectors) if h not in known}
        if new:
            self.put_many(model, new)
        return len(new)

    def export_bundle(self, path: Path, model: str, hashes: Sequence[str]) -> int:
        found = self.get_many(model, hashes)
        keys = sorted(found)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, model=np.array(model), hashes=np.array(keys), vectors=np.stack([found[k] for k in keys]).astype(np.float16))
        return len(keys)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def frozen_vector(vector: np.ndarray) -> np.ndarray:
    """A float32 copy no caller can change (it is shared by every later caller)."""
    out = np.array(vector, dtype=np.float32)
    out.setflags(write=False)
    return out


class CachedEmbedder:
    """An embedder in front of the cache: only unseen texts reach the model, in batches, with progress;
    the vectors of the last 1024 distinct queries are kept in memory: a draft searches one query per
    problem, and drafting the case again (or a search typed again) need not run the model a second time."""

    def __init__(self, embedder: Embedder, cache: VectorCache, batch: int = 16) -> None:
        self.embedder = embedder
        self.cache = cache
        self.batch = batch
        self.queries: Recent[str, np.ndarray] = Recent(1024)

    @property
    def name(self) -> str:
        return self.embedder.name

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        hashes = [text_hash(text) for text in texts]
        known = self.cache.get_many(self.name, hashes)
        missing = list(dict.fromkeys(h for h in hashes if h not in known))
        text_of = dict(zip(hashes, texts))
        done = 0
        for i in range(0, len(missing), self.batch):
            part = missing[i : i + self.batch]
            vectors = self.embedder.embed_passages([text_of[h] for h in part])
            fresh = dict(zip(part, vectors))
            self.cache.put_many(self.name, fresh)
            known.update(fresh)
            done += len(part)
            if progress is not None:
                progress(done, len(missing))
        if not hashes:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.stack([known[h] for h in hashes]).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.queries.get(text, lambda: frozen_vector(self.embedder.embed_query(text)))
