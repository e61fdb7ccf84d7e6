"""Documents a key uploads to its own precedent view."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, UploadFile

from api.deps import ConfigDep, Owner, WorkspaceDep

router = APIRouter(tags=["documents"])


@router.post("/v1/documents", status_code=201)
def upload(workspace: WorkspaceDep, config: ConfigDep, who: Owner, file: UploadFile = File(...)) -> dict[str, Any]:
    data = file.file.read(config.max_bytes + 1)
    return workspace.upload(who, file.filename or "", data, config.max_bytes)


@router.get("/v1/documents")
def documents(workspace: WorkspaceDep, who: Owner) -> list[dict[str, Any]]:
    return [{key: value for key, value in row.items() if key != "path"} for row in workspace.catalog(owner=who)]


@router.delete("/v1/documents/{doc_id}")
def delete_document(doc_id: str, workspace: WorkspaceDep, who: Owner) -> dict[str, Any]:
    workspace.delete_upload(who, doc_id)
    return {"deleted": doc_id}
