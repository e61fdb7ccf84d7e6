"""A LangChain retriever over the same hybrid search, so the index plugs into LangChain chains."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from retrieval.search import SearchFilters


class PrecedentRetriever(BaseRetriever):
    """``PrecedentRetriever(index=PrecedentIndex(...), k=5, filters=SearchFilters(kinds=["problems"]))``.

    Each document's metadata carries the citation (``display``, ``source``,
    ``section_path``, offsets) and the section kind.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: Any
    k: int = 5
    filters: SearchFilters | None = None
    mode: str = "hybrid"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        hits = self.index.search(query, k=self.k, filters=self.filters, mode=self.mode)
        return [
            Document(
                page_content=hit.text,
                metadata={
                    "chunk_id": hit.chunk_id,
                    "doc_id": hit.doc_id,
                    "score": hit.score,
                    "section_kind": hit.section_kind,
                    **hit.citation.model_dump(),
                },
            )
            for hit in hits
        ]
