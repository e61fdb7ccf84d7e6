"""The naive LangChain baseline that jixiao's search is measured against, built the way a tutorial does it.

RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50) over each file's raw text,
BM25Retriever with ``jieba.lcut`` as the tokenizer, and an EnsembleRetriever of that BM25 and a
Chroma store of the same chunks embedded by the same model as jixiao (weights 0.5 / 0.5).
Needs the ``bench`` extra: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path
from typing import Any

MISSING_EXTRA = "缺少 bench 依赖（langchain-community、langchain-text-splitters、rank-bm25）：请运行 pip install -e '.[bench]'"


def available() -> str | None:
    """``None`` when the peer can run, else the message saying what to install."""
    try:
        import langchain_community.retrievers  # noqa: F401
        import langchain_text_splitters  # noqa: F401
        import rank_bm25  # noqa: F401
    except ImportError:
        return MISSING_EXTRA
    return None


class NaivePeer:
    """``bm25`` and ``ensemble`` retrievers over ``files``; ``search(name, query)`` gives (doc_id, text) pairs."""

    def __init__(self, files: list[Path], embedder: Any, k: int = 5) -> None:
        import jieba
        from langchain_community.retrievers import BM25Retriever
        from langchain_core.documents import Document
        from langchain_core.embeddings import Embeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        warnings.filterwarnings("ignore", category=DeprecationWarning)
        try:
            from langchain_classic.retrievers import EnsembleRetriever
        except ImportError:  # older LangChain layouts
            from langchain.retrievers import EnsembleRetriever  # type: ignore[no-redef]
        from langchain_community.vectorstores import Chroma

        class _Embeddings(Embeddings):
            def embed_documents(self, texts: list[str]) -> list[list[float]]:
                return [list(map(float, row)) for row in embedder.embed_passages(texts)]

            def embed_query(self, text: str) -> list[float]:
                return list(map(float, embedder.embed_query(text)))

        splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
        docs: list[Document] = []
        for path in files:
            text = path.read_text(encoding="utf-8", errors="replace")
            docs.extend(splitter.create_documents([text], metadatas=[{"doc_id": path.stem}]))
        self.chunks = len(docs)
        # A tokenizer of its own: jieba's stock dictionary, untouched by the terms jixiao adds to jieba.dt.
        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        self.bm25 = BM25Retriever.from_documents(docs, preprocess_func=tokenizer.lcut, k=k)
        self._dir = tempfile.TemporaryDirectory(prefix="naive-peer-")
        store = Chroma.from_documents(docs, _Embeddings(), persist_directory=self._dir.name, collection_name="peer")
        dense = store.as_retriever(search_kwargs={"k": k})
        self.ensemble = EnsembleRetriever(retrievers=[self.bm25, dense], weights=[0.5, 0.5])
        self.k = k

    def search(self, name: str, query: str) -> list[tuple[str, str]]:
        retriever = self.bm25 if name == "bm25" else self.ensemble
        return [(doc.metadata["doc_id"], doc.page_content) for doc in retriever.invoke(query)[: self.k]]
