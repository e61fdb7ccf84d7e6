"""The precedent index as one owner sees it: without the documents other owners uploaded."""

from __future__ import annotations

from typing import TYPE_CHECKING

from retrieval.search import Hit, SearchFilters

if TYPE_CHECKING:
    from retrieval.index import PrecedentIndex


class OwnedView:
    """What one key may search, open and cite: the whole index minus ``hidden``."""

    def __init__(self, index: "PrecedentIndex", hidden: set[str]) -> None:
        self._index, self._hidden = index, hidden

    def search(self, query: str, k: int = 5, filters: SearchFilters | None = None, mode: str = "hybrid") -> list[Hit]:
        filters = filters or SearchFilters()
        if not self._hidden:
            return self._index.search(query, k=k, filters=filters, mode=mode)
        allowed = [doc_id for doc_id in (filters.doc_ids or self._index.catalog()) if doc_id not in self._hidden]
        if not allowed:  # an empty doc_ids list would mean "no restriction"
            return []
        return self._index.search(query, k=k, filters=filters.model_copy(update={"doc_ids": allowed}), mode=mode)

    def passage(self, doc_id: str, ordinal: int) -> Hit | None:
        return None if doc_id in self._hidden else self._index.passage(doc_id, ordinal)

    def is_empty(self) -> bool:
        return not (set(self._index.catalog()) - self._hidden)
