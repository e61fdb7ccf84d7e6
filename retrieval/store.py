"""Chroma as the store of record: chunk vectors with their metadata, and a catalog of documents.

A document becomes visible only when its catalog record is written, after all
of its chunks are in; chunks of any other generation are invisible and are
removed on the next ingest. So a crash mid-ingest leaves the index as it was.
The same code runs on an embedded store (a folder) or a ``chroma run`` server.
Against a server, every call is retried with a short backoff when the
connection fails (a server restarting), and then reported as a
:class:`StoreError` naming the URL and what to do.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import httpx
import numpy as np
from chromadb.config import Settings as ChromaSettings

from retrieval.errors import StoreError  # defined apart from chromadb so the API can catch it cheaply
from retrieval.models import Chunk, DocumentMeta
from retrieval.store_lock import hold_embedded_store

log = logging.getLogger(__name__)
CHUNKS = "jixiao_chunks"
DOCUMENTS = "jixiao_documents"
PAGE = 1000
#: Seconds to wait before each retry of a Chroma server call whose connection failed
#: (so a call fails after 1 + len(RETRY_DELAYS) attempts, about 1.7 s of waiting).
RETRY_DELAYS: tuple[float, ...] = (0.2, 0.5, 1.0)
#: Chunks written to Chroma's log after which its vector index is saved to disk. Chroma's default (1000)
#: leaves up to 999 vectors that every new process must insert into the index again before its first
#: query (a fifth of a second of CPU for the bundled corpus, in each ``jixiao search``).
SYNC_THRESHOLD = 100


def _unreachable(url: str, exc: BaseException, attempts: int, waited: float) -> StoreError:
    return StoreError(
        f"无法连接 Chroma 服务 {url}（{type(exc).__name__}: {exc}；已尝试 {attempts} 次，等待 {waited:.1f} 秒）。"
        f"请确认该服务仍在运行（服务器上执行 `chroma run --path … --host … --port …`）后重试；"
        f"或取消 JIXIAO_CHROMA_URL / --chroma-url 改用本地库。"
    )


def _connection_failed(exc: BaseException) -> bool:
    """Refused, reset or timed out (the server is down or restarting), also when chromadb wraps it (a ValueError at connect)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, httpx.TransportError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _with_retries(url: str, call: Any, *args: Any, **kwargs: Any) -> Any:
    """``call(*args, **kwargs)``, retried after each of ``RETRY_DELAYS`` while the connection fails."""
    waited, attempt = 0.0, 0
    while True:
        attempt += 1
        try:
            return call(*args, **kwargs)
        except Exception as exc:
            if not _connection_failed(exc):
                raise
            if attempt > len(RETRY_DELAYS):
                raise _unreachable(url, exc, attempt, waited) from exc
            delay = RETRY_DELAYS[attempt - 1]
        time.sleep(delay)
        waited += delay


@dataclass(frozen=True)
class DocumentRecord:
    meta: DocumentMeta
    content_hash: str
    generation: str
    path: str
    chunks: int
    ingested_at: float


def _client(path: Path | None, url: str | None) -> Any:
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if url:
        parsed = urlparse(url if "://" in url else f"http://{url}")

        def connect() -> Any:
            client = chromadb.HttpClient(host=parsed.hostname or "127.0.0.1", port=parsed.port or 8000, ssl=parsed.scheme == "https", settings=settings)
            client.heartbeat()
            return client

        try:
            return _with_retries(url, connect)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"无法连接 Chroma 服务 {url}（{type(exc).__name__}）。请确认已用 `chroma run --host … --port …` 启动，或取消 JIXIAO_CHROMA_URL 改用本地库。") from exc
    assert path is not None
    hold_embedded_store(path)
    path.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(path), settings=settings)
    except Exception as exc:
        raise StoreError(f"无法打开向量库 {path}：{exc}") from exc


class ChromaStore:
    """Chunks (with vectors) and the document catalog, in two Chroma collections."""

    def __init__(self, embedder_name: str, dim: int, path: Path | None = None, url: str | None = None) -> None:
        self.location = url or str(path)
        self.url = url
        self._client = _client(path, url)
        self.embedder_name = embedder_name
        self.chunks = self._call(
            self._client.get_or_create_collection,
            CHUNKS,
            embedding_function=None,
            metadata={"hnsw:space": "cosine", "hnsw:sync_threshold": SYNC_THRESHOLD, "embedder": embedder_name, "dim": dim},
        )
        self._sync_often()
        built_with = (self.chunks.metadata or {}).get("embedder")
        if built_with and built_with != embedder_name:
            raise StoreError(
                f"索引 {self.location} 是用向量模型 {built_with} 建立的，当前设置为 {embedder_name}，两者不能混用。"
                f"请改回 JIXIAO_EMBEDDER，或换一个数据目录（--home）重新导入。"
            )
        self.documents = self._call(self._client.get_or_create_collection, DOCUMENTS, embedding_function=None, metadata={"hnsw:space": "l2"})

    def _sync_often(self) -> None:
        """Lower the save threshold of a chunk collection made with Chroma's default (a data directory from before)."""
        hnsw = (getattr(self.chunks, "configuration_json", None) or {}).get("hnsw") or {}
        if int(hnsw.get("sync_threshold") or 0) <= SYNC_THRESHOLD:
            return
        try:
            self._call(self.chunks.modify, configuration={"hnsw": {"sync_threshold": SYNC_THRESHOLD}})
        except Exception as exc:  # noqa: BLE001 - only start-up time is at stake: a read-only store searches as before
            log.debug("Chroma save threshold unchanged: %s", exc)

    def _call(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        """One Chroma call; against a server, retried with backoff and then a :class:`StoreError`."""
        if self.url is None:
            return call(*args, **kwargs)
        return _with_retries(self.url, call, *args, **kwargs)

    # ── catalog ──────────────────────────────────────────────────────────────
    def catalog(self) -> dict[str, DocumentRecord]:
        records: dict[str, DocumentRecord] = {}
        for offset in range(0, self._call(self.documents.count) + PAGE, PAGE):
            page = self._call(self.documents.get, include=["metadatas"], limit=PAGE, offset=offset)
            for doc_id, meta in zip(page["ids"], page["metadatas"]):
                records[doc_id] = _record(doc_id, meta)
            if len(page["ids"]) < PAGE:
                break
        return records

    def commit_document(self, record: DocumentRecord) -> None:
        """The commit point of an ingest: one upsert makes the new generation live."""
        meta = record.meta
        metadata = {
            "title": meta.title,
            "source": meta.source,
            "kind": meta.kind,
            "hash": record.content_hash,
            "gen": record.generation,
            "path": record.path,
            "chunks": record.chunks,
            "ingested_at": record.ingested_at,
            "embedder": self.embedder_name,
            **({"project": meta.project} if meta.project else {}),
            **({"year": meta.year} if meta.year is not None else {}),
            **({"region": meta.region} if meta.region else {}),
            **({"evaluator": meta.evaluator} if meta.evaluator else {}),
            **({"report_kind": meta.report_kind} if meta.report_kind else {}),
        }
        self._call(self.documents.upsert, ids=[meta.doc_id], embeddings=[[0.0]], documents=[meta.title], metadatas=[metadata])

    def remove_document(self, doc_id: str) -> None:
        self._call(self.documents.delete, ids=[doc_id])
        self._call(self.chunks.delete, where={"doc_id": doc_id})

    # ── chunks ───────────────────────────────────────────────────────────────
    def write_chunks(self, meta: DocumentMeta, generation: str, chunks: list[Chunk], vectors: np.ndarray) -> None:
        ids = [chunk_key(chunk.doc_id, generation, chunk.ordinal) for chunk in chunks]
        metadatas = [chunk_metadata(meta, generation, chunk) for chunk in chunks]
        for i in range(0, len(chunks), PAGE):
            self._call(
                self.chunks.upsert,
                ids=ids[i : i + PAGE],
                embeddings=vectors[i : i + PAGE],
                documents=[chunk.text for chunk in chunks[i : i + PAGE]],
                metadatas=metadatas[i : i + PAGE],
            )

    def drop_stale_chunks(self, live: dict[str, str]) -> int:
        """Delete chunks whose (document, generation) is not live: leftovers of replaced or interrupted ingests.

        Read by id alone (an id names its document and generation, :func:`chunk_key`), a quarter of the
        CPU of reading every chunk's metadata; an id of another form is judged by its metadata."""
        stale: list[str] = []
        other: list[str] = []
        for page in self._pages(include=[]):
            for chunk_id in page["ids"]:
                owner = chunk_owner(chunk_id)
                if owner is None:
                    other.append(chunk_id)
                elif live.get(owner[0]) != owner[1]:
                    stale.append(chunk_id)
        for i in range(0, len(other), PAGE):
            page = self._call(self.chunks.get, ids=other[i : i + PAGE], include=["metadatas"])
            stale.extend(chunk_id for chunk_id, meta in zip(page["ids"], page["metadatas"]) if live.get(meta["doc_id"]) != meta["gen"])
        for i in range(0, len(stale), PAGE):
            self._call(self.chunks.delete, ids=stale[i : i + PAGE])
        return len(stale)

    def drop_old_generations(self, doc_id: str, generation: str) -> None:
        """Delete the chunks of ``doc_id`` other than ``generation`` (after a replacement is committed); other documents are untouched."""
        self._call(self.chunks.delete, where={"$and": [{"doc_id": doc_id}, {"gen": {"$ne": generation}}]})

    def iter_chunks(self, include_documents: bool = True) -> Iterator[tuple[list[str], list[dict[str, Any]], list[str]]]:
        for page in self._pages(include=["metadatas", "documents"] if include_documents else ["metadatas"]):
            yield page["ids"], page["metadatas"], page.get("documents") or [""] * len(page["ids"])

    def _pages(self, include: list[str]) -> Iterator[dict[str, Any]]:
        """Every chunk, ``PAGE`` at a time, with the fields ``include`` names (ids always)."""
        for offset in range(0, self._call(self.chunks.count), PAGE):
            yield self._call(self.chunks.get, include=include, limit=PAGE, offset=offset)

    def document_chunks(self, doc_id: str, generation: str) -> tuple[list[str], list[dict[str, Any]], list[str]]:
        """The chunks of one committed document generation: ids, metadata, texts (in no particular order)."""
        page = self._call(self.chunks.get, where={"$and": [{"doc_id": doc_id}, {"gen": generation}]}, include=["metadatas", "documents"])
        return page["ids"], page["metadatas"], page.get("documents") or [""] * len(page["ids"])

    def query(self, vector: np.ndarray, n: int, where: dict[str, Any] | None) -> list[tuple[str, float]]:
        """Nearest chunks as (id, cosine similarity); fewer than ``n`` when the collection holds fewer."""
        if n <= 0:
            return []
        result = self._call(self.chunks.query, query_embeddings=[vector], n_results=n, where=where or None, include=["distances"])
        return [(chunk_id, 1.0 - float(distance)) for chunk_id, distance in zip(result["ids"][0], result["distances"][0])]

    def get_chunks(self, ids: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        if not ids:
            return {}
        page = self._call(self.chunks.get, ids=ids, include=["documents", "metadatas"])
        return {chunk_id: (text, meta) for chunk_id, text, meta in zip(page["ids"], page["documents"], page["metadatas"])}


def chunk_key(doc_id: str, generation: str, ordinal: int) -> str:
    return f"{doc_id}@{generation}#{ordinal}"


_GENERATION = re.compile(r"[0-9a-f]{12}")


def chunk_owner(key: str) -> tuple[str, str] | None:
    """(document, generation) of a :func:`chunk_key`, or ``None`` for an id of another form."""
    head, mark, ordinal = key.rpartition("#")
    doc_id, at, generation = head.rpartition("@")
    if not (mark and at and doc_id and ordinal.isdigit() and _GENERATION.fullmatch(generation)):
        return None
    return doc_id, generation


def chunk_metadata(meta: DocumentMeta, generation: str, chunk: Chunk) -> dict[str, Any]:
    data: dict[str, Any] = {
        "doc_id": chunk.doc_id,
        "gen": generation,
        "ordinal": chunk.ordinal,
        "section_kind": chunk.section_kind,
        "section_path": json.dumps(chunk.section_path, ensure_ascii=False),
        "paragraph": chunk.paragraph,
        "start": chunk.start,
        "end": chunk.end,
        "is_table": chunk.is_table,
        "doc_kind": meta.kind,
        "title": meta.title,
        "source": meta.source,
    }
    if chunk.page is not None:
        data["page"] = chunk.page
    if meta.year is not None:
        data["year"] = meta.year
    if meta.region:
        data["region"] = meta.region
    return data


def _record(doc_id: str, meta: dict[str, Any]) -> DocumentRecord:
    return DocumentRecord(
        meta=DocumentMeta(
            doc_id=doc_id,
            title=meta.get("title", doc_id),
            source=meta.get("source", ""),
            kind=meta.get("kind", "report"),
            project=meta.get("project"),
            year=meta.get("year"),
            region=meta.get("region"),
            evaluator=meta.get("evaluator"),
            report_kind=meta.get("report_kind"),
        ),
        content_hash=meta.get("hash", ""),
        generation=meta.get("gen", ""),
        path=meta.get("path", ""),
        chunks=int(meta.get("chunks", 0)),
        ingested_at=float(meta.get("ingested_at", time.time())),
    )
