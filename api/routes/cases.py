"""Cases: the bundled sample and scoring."""

from __future__ import annotations

from typing import Any

from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import ConfigDep, Owner, WorkspaceDep
from assistant.models import Offer
from scoring.io import case_to_data
from workspace import TooLarge

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


class ExportBody(CaseBody):
    format: Literal["xlsx", "yaml", "json"] = Field(default="xlsx", description="xlsx：工作底稿（评分表、问题清单、资金明细）；yaml / json：案例文件")


@router.post("/v1/cases/import")
def import_case(workspace: WorkspaceDep, config: ConfigDep, who: Owner, file: list[UploadFile] = File(...)) -> dict[str, Any]:
    """工作底稿 .xlsx（可多个）、案例 .yaml/.yml/.json 或报告 .docx/.pdf/.txt/.md → 案例、推断表、未挂指标的问题、核对项、评分结果."""
    files = [(upload.filename or "", upload.file.read(config.max_bytes + 1)) for upload in file]
    if any(len(data) > config.max_bytes for _, data in files):
        raise TooLarge(f"文件超过上限 {config.max_bytes // (1024 * 1024)} MB", "file")
    result = workspace.import_case(files)
    return {**result.to_data(), "result": workspace.score(result.case).model_dump(mode="json")}


@router.post("/v1/cases/export")
def export_case(body: ExportBody, workspace: WorkspaceDep, who: Owner) -> Response:
    case = workspace.parse_case(body.case)
    data, media_type, suffix = workspace.export_case(case, body.format)
    name = quote(f"{case.project.name}{'工作底稿' if body.format == 'xlsx' else '案例'}{suffix}")
    return Response(data, media_type=media_type, headers={"content-disposition": f"attachment; filename*=UTF-8''{name}"})


class AcceptOfferBody(CaseBody):
    offer: Offer = Field(description="草稿段落中给出的可选措辞（Paragraph.offers 中的一项）")


@router.post("/v1/cases/accept-offer")
def accept_offer(body: AcceptOfferBody, workspace: WorkspaceDep, who: Owner) -> dict[str, Any]:
    """采纳一条可选原因（或措施）：写入问题清单相应行的“问题原因”（或“整改建议”），返回更新后的案例."""
    case = workspace.accept_offer(workspace.parse_case(body.case), body.offer)
    return {"case": case_to_data(case)}
