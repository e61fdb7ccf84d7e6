"""What the checker returns: findings located in the report, and the indicator tree it read."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from scoring.results import ResultModel, Severity

#: Finding kinds, stable identifiers for tests and tools.
KINDS: dict[str, str] = {
    "leaf_sum": "下级得分合计与上级不符",
    "weight_sum": "分值合计不符",
    "total": "总分与各项得分合计不符",
    "rate": "得分率与得分/分值不符",
    "grade": "等级与等级标准不符",
    "ratio": "比率与其自身数据不符",
    "repeated": "同一数据前后不一致",
    "rule": "得分与报告自身评分规则不符",
    "deduction": "扣分表述与评分表不符",
    "fund": "资金数据勾稽关系不符",
    "count": "指标个数与评分表不符",
    "score_above_weight": "得分超过分值",
}


_Model = ResultModel  # frozen, Decimals as JSON numbers, like the scoring results


class Place(_Model):
    """Where a figure is written: the heading path, the line (1-based) and the text around it."""

    section_path: list[str] = Field(default_factory=list, description="标题路径")
    line: int = Field(ge=1, description="行号（从 1 起）")
    quote: str = Field(description="原文")

    def cite(self) -> str:
        where = " > ".join(self.section_path) or "正文开头"
        return f"第{self.line}行（{where}）“{self.quote}”"


class Finding(_Model):
    """One inconsistency: what is stated, what it should be, where, and a sentence a reviewer can paste."""

    kind: str = Field(description="类别，见 KINDS")
    severity: Severity
    places: list[Place] = Field(description="涉及的两处（或多处）原文")
    stated: Decimal | str | None = Field(default=None, description="报告所写")
    recomputed: Decimal | str | None = Field(default=None, description="重算结果")
    explanation: str = Field(description="中文说明，可直接用于审核意见")


class IndicatorRow(_Model):
    """One indicator as the report states it, with the sum recomputed from its children."""

    path: str
    level: int
    weight: Decimal | None = None
    score: Decimal | None = None
    rate: Decimal | None = None
    recomputed_weight: Decimal | None = Field(default=None, description="下级分值合计（非末级）")
    recomputed_score: Decimal | None = Field(default=None, description="下级得分合计（非末级）")
    is_leaf: bool


class CheckReport(_Model):
    """Everything the checker read from one report and every inconsistency it found."""

    source: str
    title: str
    full_score: Decimal | None = Field(default=None, description="满分（报告所写或一级分值合计）")
    stated_total: Decimal | None = None
    recomputed_total: Decimal | None = Field(default=None, description="由末级（或一级）得分重算的总分")
    stated_grade: str | None = None
    recomputed_grade: str | None = None
    bands: list[tuple[str, Decimal]] = Field(default_factory=list, description="报告所写等级标准（名称, 下限）")
    indicators: list[IndicatorRow] = Field(default_factory=list)
    funds: dict[str, Decimal] = Field(default_factory=dict, description="项目资金（万元）：budget、received、spent…")
    findings: list[Finding] = Field(default_factory=list)
    lines: list[str] | None = Field(
        default=None, description="报告正文逐行（请求时才返回）：第 i 项是第 first_line + i 行，与各处原文的 line 对应"
    )
    first_line: int = Field(default=1, ge=1, description="lines 第一项的行号（文本报告有 YAML 头时大于 1）")

    @property
    def errors(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity == "error"]

    @property
    def leaves(self) -> list[IndicatorRow]:
        return [row for row in self.indicators if row.is_leaf]

    def indicator(self, name: str) -> IndicatorRow:
        """An indicator by full path, or by a unique end of its path (``预算执行率``, ``满意度/服务对象满意度``)."""
        for row in self.indicators:
            if row.path == name:
                return row
        matches = [row for row in self.indicators if row.path.endswith("/" + name)]
        if len(matches) != 1:
            raise KeyError(name)
        return matches[0]
