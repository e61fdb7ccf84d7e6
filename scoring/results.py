"""What the engine returns: per-node scores with audit trails, fund metrics, grade and checks."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import re

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_serializer

Severity = Literal["error", "warning", "info"]


class ResultModel(BaseModel):
    """Frozen, with Decimals written to JSON as numbers: the base of every result model."""

    model_config = ConfigDict(frozen=True)

    @field_serializer("*", when_used="json")
    def _decimals_as_numbers(self, value: object) -> object:
        # JSON consumers want numbers, not strings; values are already rounded.
        if isinstance(value, Decimal):
            return float(value)
        return value


class NodeResult(ResultModel):
    path: str = Field(description="指标路径，如 项目过程/资金管理/预算执行率")
    name: str
    level: int = Field(description="层级：1 为一级指标")
    parent: str | None
    is_leaf: bool
    weight: Decimal
    score: Decimal
    rate: Decimal | None = Field(description="得分率（%）；分值为 0 时为空")
    rule: str | None = Field(default=None, description="评分规则类型（仅末级）")
    audit: str = Field(description="规则代入数字后的算式")
    reason: str | None = Field(default=None, description="扣分理由")
    findings: int = Field(default=0, description="计入该指标的问题条数（挂在该指标上、未标 waived 的）")


class FundMetric(ResultModel):
    key: str
    label: str
    value: Decimal | None
    unit: Literal["万元", "%"]
    formula: str


class Check(ResultModel):
    kind: str = Field(description="检查类别，如 stated_score、weight_sum、fund_identity")
    severity: Severity
    location: str = Field(description="出处：指标路径、资金项或 stated 中的键")
    message: str = Field(description="给审核人看的中文说明")
    stated: Decimal | str | None = None
    computed: Decimal | str | None = None

    @computed_field(description="出处的中文名称（给用户看；location 是机读的键）")  # type: ignore[prop-decorator]
    @property
    def place(self) -> str:
        return place_label(self.location)


_STATED_PLACES = {"stated.total": "总分", "stated.grade": "等级", "stated.full_score": "满分", "full_score": "满分"}


def place_label(location: str) -> str:
    """A check's location as a user reads it: 资金结余 for ``funds.balance``, 问题清单第8条 for ``findings[7]``."""
    from scoring.funds import FUND_LABELS

    if location in _STATED_PLACES:
        return _STATED_PLACES[location]
    if match := re.fullmatch(r"funds\.lines\.(\w+)", location):
        return FUND_LABELS.get(f"lines_{match.group(1)}", match.group(1))
    if match := re.fullmatch(r"(?:stated\.)?funds\.(\w+)", location):
        return FUND_LABELS.get(match.group(1), match.group(1))
    if match := re.fullmatch(r"findings\[(\d+)\]", location):
        return f"问题清单第{int(match.group(1)) + 1}条"
    if match := re.fullmatch(r"stated\.groups\[(\d+)\]", location):
        return f"报告所列小计第{int(match.group(1)) + 1}项"
    return location


class ScoreResult(ResultModel):
    project: str
    full_score: Decimal
    total: Decimal
    rate: Decimal = Field(description="总得分率（%）")
    grade: str
    nodes: list[NodeResult]
    funds: list[FundMetric]
    checks: list[Check]

    def node(self, path_or_name: str) -> NodeResult:
        """Find a node by full path, or by name when the name is unique."""
        for node in self.nodes:
            if node.path == path_or_name:
                return node
        matches = [node for node in self.nodes if node.name == path_or_name]
        if len(matches) != 1:
            raise KeyError(path_or_name)
        return matches[0]

    def fund(self, key: str) -> FundMetric:
        for metric in self.funds:
            if metric.key == key:
                return metric
        raise KeyError(key)

    @property
    def categories(self) -> list[NodeResult]:
        """一级指标小计."""
        return [node for node in self.nodes if node.level == 1]
