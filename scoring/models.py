"""The case file: what an evaluator states about one evaluation (pydantic, validated at the edge).

Amounts are in 万元 unless a field says otherwise; percentages are written as
percent numbers (95.91 for 95.91 %). Every number is kept as ``Decimal`` so
that rounding is exact and half-up.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scoring.rules import REGISTRY

# Built from the registry so that a new rule family needs no edit here.
RuleSpec = Annotated[
    Union[tuple(rule.params for rule in REGISTRY.values())],  # type: ignore[misc]
    Field(discriminator="type"),
]

PATH_SEPARATOR = "/"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Project(_Model):
    """项目基本信息."""

    name: str = Field(min_length=1, description="项目名称")
    year: int | None = Field(default=None, ge=1990, le=2100, description="项目年度")
    department: str | None = Field(default=None, description="主管部门")
    implementing_unit: str | None = Field(default=None, description="实施单位")
    commissioner: str | None = Field(default=None, description="委托单位")
    evaluator: str | None = Field(default=None, description="评价机构或自评单位")
    period: str | None = Field(default=None, description="评价期间，如 2024年4月")
    region: str | None = Field(default=None, description="地区")
    evaluation_kind: Literal["third_party", "self"] = Field(default="third_party", description="第三方评价或单位自评")


class FundLine(_Model):
    """One sub-project line of the fund table (子项目)."""

    name: str = Field(min_length=1)
    short_name: str | None = Field(default=None, description="简称（首次出现后使用，如 智慧永州项目）")
    budget: Decimal | None = None
    received: Decimal | None = None
    spent: Decimal | None = None
    contract_amount: Decimal | None = None
    paid: Decimal | None = None


class Funds(_Model):
    """资金情况（万元）."""

    budget: Decimal | None = Field(default=None, description="年初预算 / 预算安排")
    adjustment: Decimal | None = Field(default=None, description="当年调整（追加为正，调减为负）")
    allocated: Decimal | None = Field(default=None, description="财政拨款数")
    received: Decimal | None = Field(default=None, description="实际到位")
    spent: Decimal | None = Field(default=None, description="实际支出 / 实际支付")
    carried_over: Decimal | None = Field(default=None, description="结转数")
    recovered: Decimal | None = Field(default=None, description="财政收回数")
    contract_amount: Decimal | None = Field(default=None, description="合同金额")
    contract_paid: Decimal | None = Field(default=None, description="合同已支付")
    execution_basis: Literal["received", "budget"] = Field(
        default="received", description="预算执行率的分母：实际到位（received）或全年预算（budget）"
    )
    lines: list[FundLine] = Field(default_factory=list, description="子项目资金明细")

    @model_validator(mode="after")
    def _no_negative_amounts(self) -> "Funds":
        for name in ("budget", "allocated", "received", "spent", "carried_over", "recovered", "contract_amount", "contract_paid"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} 不能为负数")
        return self


class Band(_Model):
    name: str = Field(min_length=1, description="等级名称，如 优")
    min: Decimal = Field(ge=0, description="下限（含）")


DEFAULT_BANDS = [Band(name="优", min=Decimal(90)), Band(name="良", min=Decimal(80)), Band(name="中", min=Decimal(60)), Band(name="差", min=Decimal(0))]


class Grading(_Model):
    """等级划分；各地标准不同，可自定义名称与下限."""

    bands: list[Band] = Field(default_factory=lambda: list(DEFAULT_BANDS))
    basis: Literal["percent", "score"] = Field(
        default="percent", description="按百分制得分率（percent，满分非 100 时换算）或按原始得分（score）分档"
    )

    @field_validator("bands")
    @classmethod
    def _bands_cover_zero(cls, bands: list[Band]) -> list[Band]:
        if not bands:
            raise ValueError("至少需要一个等级")
        names = [band.name for band in bands]
        if len(set(names)) != len(names):
            raise ValueError("等级名称重复")
        if min(band.min for band in bands) != 0:
            raise ValueError("最低一档的下限须为 0，否则低分无等级可评")
        return sorted(bands, key=lambda band: band.min, reverse=True)


class Rounding(_Model):
    decimals: int = Field(default=2, ge=0, le=6, description="每个末级指标得分保留的小数位")
    totals: Literal["sum_of_rounded", "round_of_sum"] = Field(
        default="sum_of_rounded", description="合计：先对末级指标四舍五入再相加（默认），或先相加再四舍五入"
    )


class Indicator(_Model):
    """An indicator node (一级/二级/三级…). Leaves carry exactly one rule."""

    name: str = Field(min_length=1)
    weight: Decimal | None = Field(default=None, ge=0, description="分值；叶子须给出，除非父节点 split: even")
    split: Literal["even"] | None = Field(
        default=None, description="even：本节点分值按子指标个数平分，余数计入最后一项"
    )
    rule: RuleSpec | None = None
    note: str | None = Field(default=None, description="指标解释或评分标准原文")
    children: list["Indicator"] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _no_separator(cls, name: str) -> str:
        if PATH_SEPARATOR in name:
            raise ValueError(f"指标名称不能含“{PATH_SEPARATOR}”（它用来分隔指标路径）")
        return name.strip()

    @model_validator(mode="after")
    def _shape(self) -> "Indicator":
        if self.children and self.rule is not None:
            raise ValueError(f"指标“{self.name}”有下级指标，不能再给出评分规则（rule）")
        if not self.children and self.rule is None:
            raise ValueError(f"末级指标“{self.name}”缺少评分规则（rule）")
        if self.split == "even" and self.weight is None:
            raise ValueError(f"指标“{self.name}”要求平分分值（split: even），须给出本级分值（weight）")
        if self.split == "even" and not self.children:
            raise ValueError(f"末级指标“{self.name}”没有下级，不能 split: even")
        names = [child.name for child in self.children]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"指标“{self.name}”下有同名子指标：{'、'.join(duplicates)}")
        if self.split == "even":
            given = [child.name for child in self.children if child.weight is not None]
            if given:
                raise ValueError(f"指标“{self.name}”已平分分值，子指标不应再给 weight：{'、'.join(given)}")
        return self


class Finding(_Model):
    """问题清单中的一行."""

    id: str | None = Field(default=None, description="序号")
    unit: str | None = Field(default=None, description="项目单位")
    project: str | None = Field(default=None, description="项目（子项目名称）")
    project_short: str | None = Field(default=None, description="项目简称（首次出现后使用）")
    category: str | None = Field(default=None, description="项目分类，如 运维项目")
    nature: str = Field(min_length=1, description="问题定性，如 政府采购管理不规范")
    issue: str | None = Field(default=None, description="具体问题")
    description: str | None = Field(default=None, description="问题描述")
    evidence: str | None = Field(default=None, description="佐证材料")
    cause: str | None = Field(default=None, description="问题原因（评价人判断；起草“主要原因是…”时优先采用）")
    suggestion: str | None = Field(default=None, description="整改建议（评价人采纳的措施；起草“有关建议”时优先采用）")
    indicator: str | None = Field(default=None, description="扣分所在的末级指标（名称或路径）")
    also_indicators: tuple[str, ...] = Field(
        default=(), description="报告把同一问题也计入的其他末级指标（一条问题在两处扣分时写明）"
    )
    severity: str | None = Field(default=None, description="严重程度，如 一般 / 较重 / 严重（按严重程度扣分时用）")
    waived: str | None = Field(default=None, description="列在该指标下但报告未扣分的理由（不计入例数）")
    amount: Decimal | None = Field(default=None, description="涉及金额（万元）")

    # also_indicators without indicator, and a blank waived, are checked with the references (TreeIndex):
    # a validator here would run once per finding, and a case may list 50,000.

    @property
    def indicators(self) -> list[str]:
        """Every leaf the finding is counted under: ``indicator`` first, then ``also_indicators``."""
        return ([self.indicator] if self.indicator is not None else []) + list(self.also_indicators)


FUND_FIGURE_KEYS = (
    "budget",
    "adjustment",
    "allocated",
    "received",
    "spent",
    "carried_over",
    "recovered",
    "contract_amount",
    "contract_paid",
    "execution_rate",
    "arrival_rate",
    "balance",
    "indicator_balance",
    "fund_balance",
    "contract_payment_ratio",
    "lines_budget",
    "lines_received",
    "lines_spent",
)


class StatedGroup(_Model):
    """A subtotal a report states over indicators that are not one node (004 表3-1: 项目绩效 = 产出 + 效益 + 满意度)."""

    name: str = Field(min_length=1, description="小计名称，如 项目绩效")
    members: list[str] = Field(min_length=1, description="组成它的指标（名称或路径）")
    weight: Decimal | None = Field(default=None, description="报告所写分值")
    score: Decimal | None = Field(default=None, description="报告所写得分")
    rate: Decimal | None = Field(default=None, description="报告所写得分率（%）")


class Stated(_Model):
    """What a draft or published report states, to be compared with the computed figures."""

    source: str | None = Field(default=None, description="出处，如 报告正文 表3-1")
    placeholder_tree: bool = Field(
        default=False,
        description="指标树是占位的（报告没有评分表，按全国共性框架生成）：分值和规则按评价方案调整前，总分、等级与报告所写的差异只作提示",
    )
    total: Decimal | None = None
    grade: str | None = None
    full_score: Decimal | None = Field(default=None, description="报告合计行所写的总分值")
    scores: dict[str, Decimal] = Field(default_factory=dict, description="指标（名称或路径）→ 报告所写得分")
    weights: dict[str, Decimal] = Field(default_factory=dict, description="指标 → 报告所写分值")
    rates: dict[str, Decimal] = Field(default_factory=dict, description="指标 → 报告所写得分率（%）")
    funds: dict[str, Decimal] = Field(default_factory=dict, description="资金指标 → 报告所写数值（率为百分数）")
    groups: list[StatedGroup] = Field(default_factory=list, description="报告在指标树之外所列的小计（如 项目绩效）")
    places: dict[str, str] = Field(
        default_factory=dict,
        description="各数字写在哪里（核对结果注明该处，而不是整个 source）：键为 total、grade、full_score、指标（名称或路径）、funds.资金指标 或小计名称",
    )

    @field_validator("funds")
    @classmethod
    def _known_fund_keys(cls, funds: dict[str, Decimal]) -> dict[str, Decimal]:
        unknown = sorted(set(funds) - set(FUND_FIGURE_KEYS))
        if unknown:
            raise ValueError(f"未知的资金指标：{'、'.join(unknown)}（可用：{'、'.join(FUND_FIGURE_KEYS)}）")
        return funds


class Case(_Model):
    """One evaluation: facts, funds, indicator tree with rules, findings, and optionally what a report states."""

    project: Project
    full_score: Decimal = Field(default=Decimal(100), gt=0, description="满分，通常 100（003 为 80）")
    grading: Grading = Field(default_factory=Grading)
    rounding: Rounding = Field(default_factory=Rounding)
    funds: Funds = Field(default_factory=Funds)
    indicators: list[Indicator] = Field(min_length=1, description="一级指标")
    findings: list[Finding] = Field(default_factory=list)
    stated: Stated | None = None

    @model_validator(mode="after")
    def _unique_roots(self) -> "Case":
        names = [node.name for node in self.indicators]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"一级指标重名：{'、'.join(duplicates)}")
        return self
