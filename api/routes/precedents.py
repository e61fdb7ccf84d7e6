"""Precedent search and the passages citations point to."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import Owner, WorkspaceDep
from retrieval.models import SectionKind
from retrieval.search import SearchFilters

router = APIRouter(tags=["precedents"])


class SearchBody(BaseModel):
    query: str = Field(min_length=1, max_length=2000)
    k: int = Field(default=5, ge=1, le=50)
    kinds: list[SectionKind] | None = None
    year_from: int | None = None
    year_to: int | None = None
    region: str | None = Field(default=None, max_length=100)
    doc_kind: Literal["report", "policy"] | None = None
    doc_ids: list[str] | None = None
    mode: Literal["hybrid", "dense", "keyword"] = "hybrid"


@router.post("/v1/precedents/search")
def search(body: SearchBody, workspace: WorkspaceDep, who: Owner) -> list[dict[str, Any]]:
    filters = SearchFilters(kinds=body.kinds, year_from=body.year_from, year_to=body.year_to, region=body.region, doc_kind=body.doc_kind, doc_ids=body.doc_ids)
    return [hit.model_dump() for hit in workspace.search(body.query, k=body.k, filters=filters, mode=body.mode, owner=who)]


@router.get("/v1/passages/{doc_id}/{ordinal}")
def passage(doc_id: str, ordinal: int, workspace: WorkspaceDep, who: Owner) -> dict[str, Any]:
    return workspace.passage(doc_id, ordinal, owner=who).model_dump()
