"""Cases: the bundled sample and scoring."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import Owner, WorkspaceDep

router = APIRouter(tags=["cases"])


class CaseBody(BaseModel):
    case: dict[str, Any] = Field(description="案例（与案例文件相同的结构）")


@router.get("/v1/sample-case")
def sample_case(workspace: WorkspaceDep, who: Owner) -> dict[str, Any]:
    return workspace.sample_case()


@router.post("/v1/score", tags=["scoring"])
def score(body: CaseBody, workspace: WorkspaceDep, who: Owner) -> Response:
    result = workspace.score(workspace.parse_case(body.case))
    return Response(result.model_dump_json(), media_type="application/json")
