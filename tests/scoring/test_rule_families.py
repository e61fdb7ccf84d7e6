"""The rule families of the scoring-fidelity issue, at their edges: tiered, composite, weighted per-finding,
findings counted under two leaves, lateness, upper-bound targets and stated groupings."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from conftest import CASES, ROOT, leaf_case, leaf_score
from scoring import Case, CaseFileError, load_case, parse_case, score_case
from scoring.results import ScoreResult


def D(text: str) -> Decimal:
    return Decimal(text)


def case_with(findings: list[dict[str, Any]], leaves: dict[str, dict[str, Any]], weight: int = 6) -> ScoreResult:
    """Several leaves (each ``weight`` points) and findings attached by name."""
    data = {
        "project": {"name": "测试"},
        "full_score": weight * len(leaves),
        "indicators": [{"name": name, "weight": weight, "rule": rule} for name, rule in leaves.items()],
        "findings": findings,
    }
    return score_case(Case.model_validate(data))


# 004-style wording: ≥95% 得满分，90%（含）–95% 得 80%，80%（含）–90% 得 60%，低于 80% 不得分
TIERS = [
    {"min": 95, "percent": 100},
    {"min": 90, "max": 95, "percent": 80},
    {"min": 80, "max": 90, "percent": 60},
    {"max": 80, "percent": 0},
]


class TestTiered:
    @pytest.mark.parametrize(
        ("value", "score"),
        [("100", "5.00"), ("95", "5.00"), ("94.99", "4.00"), ("90", "4.00"), ("89.99", "3.00"), ("80", "3.00"), ("79.99", "0.00"), ("0", "0.00")],
    )
    def test_bounds_inclusive_as_written(self, value: str, score: str) -> None:
        assert leaf_score({"type": "tiered", "value": value, "tiers": TIERS}, weight=5)[0] == D(score)

    def test_exclusive_lower_bound(self) -> None:
        tiers = [{"min": 90, "min_inclusive": False, "percent": 100}, {"max": 90, "max_inclusive": True, "percent": 50}]
        assert leaf_score({"type": "tiered", "value": 90, "tiers": tiers}, weight=4)[0] == D("2.00")
        assert leaf_score({"type": "tiered", "value": "90.01", "tiers": tiers}, weight=4)[0] == D("4.00")

    def test_audit_names_the_tier(self) -> None:
        _, result = leaf_score({"type": "tiered", "value": 92, "label": "验收合格率", "tiers": TIERS}, weight=5)
        assert result.node("指标").audit == "验收合格率 92%，落在 90%（含）–95%（不含） 档，得分值的 80%：5 × 80% = 4.00"

    def test_ratio_from_numerator_and_denominator(self) -> None:
        score, result = leaf_score({"type": "tiered", "numerator": 19, "denominator": 20, "label": "完成率", "tiers": TIERS}, weight=5)
        assert score == D("5.00")
        assert result.node("指标").audit.startswith("完成率 = 19 / 20 = 95%")

    @pytest.mark.parametrize(("count", "score"), [(0, "5.00"), (1, "4.00"), (2, "4.00"), (3, "0.00"), (7, "0.00")])
    def test_on_finding_count(self, count: int, score: str) -> None:
        tiers = [{"min": 0, "max": 0, "max_inclusive": True, "percent": 100}, {"min": 1, "max": 2, "max_inclusive": True, "percent": 80}, {"min": 3, "percent": 0}]
        assert leaf_score({"type": "tiered", "of": "findings", "tiers": tiers}, weight=5, findings=count)[0] == D(score)

    def test_fixed_points_tier_capped_at_weight(self) -> None:
        score, _ = leaf_score({"type": "tiered", "value": 50, "tiers": [{"min": 0, "score": 9}]}, weight=5)
        assert score == D("5.00")

    def test_value_in_no_tier_scores_zero(self) -> None:
        score, result = leaf_score({"type": "tiered", "value": 50, "tiers": [{"min": 60, "percent": 100}]}, weight=5)
        assert score == 0 and "不在任何一档内" in result.node("指标").audit

    def test_missing_value_is_flagged(self) -> None:
        score, result = leaf_score({"type": "tiered", "tiers": TIERS}, weight=5)
        assert score == 0 and [c.kind for c in result.checks] == ["missing_value"]

    def test_overlapping_tiers_are_refused(self) -> None:
        with pytest.raises(ValidationError, match="档位重叠：95 同时落在第 1、2 档"):
            leaf_case({"type": "tiered", "value": 1, "tiers": [{"min": 95, "percent": 100}, {"min": 90, "max": 95, "max_inclusive": True, "percent": 80}]})

    def test_tier_needs_exactly_one_result(self) -> None:
        with pytest.raises(ValidationError, match="percent（得分值的百分比）或 score"):
            leaf_case({"type": "tiered", "value": 1, "tiers": [{"min": 0}]})


class TestComposite:
    BASE = {"type": "ratio", "numerator": 4, "denominator": 4, "label": "项目运维完成率"}

    def test_seed_004_operations_completion(self) -> None:
        score, result = leaf_score({"type": "composite", "base": self.BASE, "per": "0.25"}, weight=4, findings=2)
        assert score == D("3.50")
        assert result.node("指标").audit == "项目运维完成率 = 4 / 4 = 100%；4 × 100% = 4.00；扣分 2 例 × 0.25 = 0.50；4.00 − 0.50 = 3.50"

    def test_no_findings_keeps_the_base(self) -> None:
        assert leaf_score({"type": "composite", "base": {"type": "ratio", "rate": 90}, "per": 1}, weight=4)[0] == D("3.60")

    def test_floor_at_zero(self) -> None:
        score, result = leaf_score({"type": "composite", "base": {"type": "ratio", "rate": 50}, "per": 1}, weight=4, findings=5)
        assert score == 0 and "扣完为止" in result.node("指标").audit

    def test_cap(self) -> None:
        score, result = leaf_score({"type": "composite", "per": 1, "max_deduction": 1.5}, weight=4, findings=3)
        assert score == D("2.50") and "最多扣 1.5 分" in result.node("指标").audit

    def test_full_score_base_when_absent(self) -> None:
        assert leaf_score({"type": "composite", "per": "0.5"}, weight=4, findings=1)[0] == D("3.50")

    def test_missing_base_value_scores_zero(self) -> None:
        score, result = leaf_score({"type": "composite", "base": {"type": "ratio"}, "per": 1}, weight=4)
        assert score == 0 and [c.kind for c in result.checks] == ["missing_value"]

    def test_bad_base_is_a_chinese_error_with_a_line(self, parse: Any) -> None:
        text = "project: {name: 测}\nfull_score: 4\nindicators:\n  - name: 指标\n    weight: 4\n    rule:\n      type: composite\n      per: 1\n      base: {type: ratio, rate: abc}\n"
        with pytest.raises(CaseFileError) as exc:
            parse(text)
        assert str(exc.value).startswith("test.yaml:9: indicators[0].rule.base: base（ratio）rate：")
        with pytest.raises(CaseFileError, match="base 不能再是 composite"):
            parse(text.replace("{type: ratio, rate: abc}", "{type: composite, per: 1}"))
        with pytest.raises(CaseFileError, match="base 的评分规则类型 'nope' 未知"):
            parse(text.replace("{type: ratio, rate: abc}", "{type: nope}"))


class TestWeightedPerFinding:
    RULE = {"type": "per_finding", "per": "0.2", "per_nature": {"政府采购管理不规范": "0.5"}, "per_severity": {"严重": 2}}

    def test_points_by_nature_and_severity(self) -> None:
        findings = [
            {"nature": "政府采购管理不规范", "indicator": "A"},
            {"nature": "政府采购管理不规范", "indicator": "A"},
            {"nature": "政府采购管理不规范", "severity": "严重", "indicator": "A"},  # severity wins over nature
            {"nature": "合同管理不规范", "indicator": "A"},
        ]
        node = case_with(findings, {"A": self.RULE}).node("A")
        assert node.score == D("2.80")  # 6 − (2 × 0.5 + 2 + 0.2)
        assert node.audit == "政府采购管理不规范 2 例 × 0.5 + 严重 1 例 × 2 + 其他 1 例 × 0.2 = 3.20；6 − 3.20 = 2.80"

    def test_nature_without_points_and_no_default_is_not_deducted_but_said(self) -> None:
        node = case_with([{"nature": "合同管理不规范", "indicator": "A"}], {"A": {"type": "per_finding", "per_nature": {"政府采购管理不规范": 1}}}).node("A")
        assert node.score == D("6.00") and "1 例的定性未列入扣分表，未扣分" in node.audit

    def test_needs_some_points(self) -> None:
        with pytest.raises(ValidationError, match="须给出每例扣分 per"):
            leaf_case({"type": "per_finding"})

    def test_waived_findings_are_listed_not_counted(self) -> None:
        findings = [{"nature": "x", "indicator": "A"}, {"nature": "x", "indicator": "A", "waived": "经补充了解已说明"}]
        node = case_with(findings, {"A": {"type": "per_finding", "per": "0.5"}}).node("A")
        assert node.score == D("5.50")
        assert node.audit.endswith("另列 1 例未扣分（见问题清单 waived）")

    def test_empty_waived_reason_is_refused(self, parse: Any) -> None:
        text = "project: {name: 测}\nfull_score: 4\nindicators:\n  - {name: A, weight: 4, rule: {type: per_finding, per: 1}}\nfindings:\n  - {nature: x, indicator: A, waived: ' '}\n"
        with pytest.raises(CaseFileError) as exc:
            parse(text)
        assert str(exc.value) == "test.yaml:6: findings[0].waived: waived 须写明未扣分的理由"


class TestCountedUnderTwoLeaves:
    def test_also_indicators_counts_in_both(self) -> None:
        findings = [{"nature": "验收不规范", "indicator": "验收", "also_indicators": ["制度"]}, {"nature": "采购", "indicator": "制度"}]
        result = case_with(findings, {"验收": {"type": "per_finding", "per": "0.5"}, "制度": {"type": "per_finding", "per": "0.2"}})
        assert result.node("验收").score == D("5.50")
        assert result.node("制度").score == D("5.60")
        assert result.node("制度").findings == 2

    @pytest.mark.parametrize(
        ("also", "message"),
        [
            ("[无此指标]", "test.yaml:11: findings[0].also_indicators[0]: 找不到指标“无此指标”"),
            ("[A]", "test.yaml:11: findings[0].also_indicators[0]: “一级/A”已列过，同一问题在一个指标上只计一次"),
            ("[一级]", "test.yaml:11: findings[0].also_indicators[0]: 问题应挂在末级指标上，“一级”不是末级指标"),
        ],
    )
    def test_bad_also_indicators_name_the_line(self, parse: Any, also: str, message: str) -> None:
        text = (
            "project: {name: 测}\nfull_score: 4\nindicators:\n  - name: 一级\n    children:\n"
            "      - {name: A, weight: 2, rule: {type: per_finding, per: 1}}\n      - {name: B, weight: 2, rule: {type: per_finding, per: 1}}\n"
            "findings:\n  - nature: 问题\n    indicator: A\n"
            f"    also_indicators: {also}\n"
        )
        with pytest.raises(CaseFileError) as exc:
            parse(text)
        assert str(exc.value) == message

    def test_also_without_indicator_is_refused(self, parse: Any) -> None:
        text = "project: {name: 测}\nfull_score: 4\nindicators:\n  - {name: A, weight: 4, rule: {type: per_finding, per: 1}}\nfindings:\n  - nature: x\n    also_indicators: [A]\n"
        with pytest.raises(CaseFileError) as exc:
            parse(text)
        assert str(exc.value) == "test.yaml:7: findings[0].also_indicators: 写了 also_indicators 时须先给出主要扣分指标 indicator"


class TestLateness:
    RULE = {"type": "lateness", "due": "2024-03-31", "per": "0.1", "max_deduction": 1, "label": "提交报告"}

    def test_due_date_exactly_met(self) -> None:
        score, result = leaf_score({**self.RULE, "actual": "2024-03-31"}, weight=2)
        assert score == D("2.00") and "未逾期" in result.node("指标").audit

    def test_early(self) -> None:
        assert leaf_score({**self.RULE, "actual": "2024-03-01"}, weight=2)[0] == D("2.00")

    def test_one_day_late(self) -> None:
        score, result = leaf_score({**self.RULE, "actual": "2024-04-01"}, weight=2)
        assert score == D("1.90")
        assert result.node("指标").audit == "应于 2024-03-31 提交报告，实际 2024-04-01，逾期 1 天；1 × 0.1 = 0.10；2 − 0.10 = 1.90"

    def test_cap_reached(self) -> None:
        score, result = leaf_score({**self.RULE, "actual": "2024-05-30"}, weight=2)
        assert score == D("1.00") and "最多扣 1 分" in result.node("指标").audit

    def test_floor_at_zero_without_cap(self) -> None:
        rule = {k: v for k, v in self.RULE.items() if k != "max_deduction"}
        assert leaf_score({**rule, "actual": "2025-01-01"}, weight=2)[0] == 0

    def test_chinese_dates(self) -> None:
        assert leaf_score({**self.RULE, "due": "2023年10月31日", "actual": "2023年11月3日"}, weight=2)[0] == D("1.70")

    @pytest.mark.parametrize(("actual", "partial", "weeks"), [("2024-04-07", "up", 1), ("2024-04-08", "up", 2), ("2024-04-08", "down", 1), ("2024-04-01", "down", 0)])
    def test_weeks_partial(self, actual: str, partial: str, weeks: int) -> None:
        rule = {"type": "lateness", "due": "2024-03-31", "actual": actual, "unit": "week", "partial": partial, "per": 1}
        assert leaf_score(rule, weight=5)[0] == Decimal(5 - weeks)

    @pytest.mark.parametrize(("actual", "months"), [("2024-01-29", 0), ("2024-01-30", 1), ("2024-02-29", 1), ("2024-03-29", 2), ("2024-03-30", 3)])
    def test_calendar_months(self, actual: str, months: int) -> None:
        rule = {"type": "lateness", "due": "2024-01-29", "actual": actual, "unit": "month", "per": 1}
        assert leaf_score(rule, weight=5)[0] == Decimal(5 - months)

    def test_late_given_directly(self) -> None:
        assert leaf_score({"type": "lateness", "late": 3, "unit": "month", "per": "0.5"}, weight=2)[0] == D("0.50")

    def test_bad_date_is_a_chinese_error(self) -> None:
        with pytest.raises(ValidationError, match="无法识别的日期 '下个月'"):
            leaf_case({**self.RULE, "actual": "下个月"})

    def test_actual_without_due_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="须给出应完成日期 due"):
            leaf_case({"type": "lateness", "actual": "2024-01-01", "per": 1})

    def test_no_dates_is_missing(self) -> None:
        score, result = leaf_score({"type": "lateness", "per": 1}, weight=2)
        assert score == 0 and [c.kind for c in result.checks] == ["missing_value"]


class TestUpperBound:
    RULE = {"type": "upper_bound", "limit": 15, "per": "0.5", "label": "成本超支率"}

    def test_at_the_limit_inclusive(self) -> None:
        assert leaf_score({**self.RULE, "actual": 15}, weight=4)[0] == D("4.00")

    def test_at_the_limit_exclusive(self) -> None:
        assert leaf_score({**self.RULE, "actual": 15, "inclusive": False}, weight=4)[0] == D("4.00")  # 0 points over: nothing to deduct
        assert leaf_score({**self.RULE, "actual": "15.5", "inclusive": False}, weight=4)[0] == D("3.75")

    def test_points_over(self) -> None:
        score, result = leaf_score({**self.RULE, "actual": "17.5"}, weight=4)
        assert score == D("2.75")
        assert result.node("指标").audit == "成本超支率 17.5%，上限 15%，超过 2.5 个百分点，每超 1 个百分点扣0.5 分；4 − 1.25 = 2.75"

    def test_weight_percent_and_floor(self) -> None:
        rule = {"type": "upper_bound", "limit": 15, "per": 5, "per_unit": "weight_percent"}
        assert leaf_score({**rule, "actual": 17}, weight=6)[0] == D("5.40")  # 6 − 2 × 5% × 6
        score, result = leaf_score({**rule, "actual": 60}, weight=6)
        assert score == 0 and "扣完为止" in result.node("指标").audit

    def test_seed_003_fund_saving_rate(self) -> None:
        result = score_case(load_case(CASES / "seed_003.yaml"))
        node = result.node("资金节约率")
        assert node.rule == "upper_bound" and node.score == D("1.00")


class TestStatedGroups:
    def test_seed_004_table_3_1_project_performance(self) -> None:
        case = load_case(CASES / "seed_004.yaml")
        assert case.stated is not None and case.stated.groups[0].name == "项目绩效"
        assert not [c for c in score_case(case).checks if c.kind.startswith("stated_group")]

    def test_wrong_group_figures_are_flagged(self) -> None:
        case = load_case(CASES / "seed_004.yaml")
        assert case.stated is not None
        group = case.stated.groups[0].model_copy(update={"weight": D(60), "score": D("57.00"), "rate": D("90")})
        stated = case.stated.model_copy(update={"groups": [group]})
        checks = {c.kind: c for c in score_case(case.model_copy(update={"stated": stated})).checks if c.kind.startswith("stated_group")}
        assert set(checks) == {"stated_group_weight", "stated_group_score", "stated_group_rate"}
        assert checks["stated_group_score"].message.startswith("“项目绩效”报告所写得分 57.00，项目产出 + 项目效益 重算合计为 57.64")
        assert checks["stated_group_rate"].computed == D("82.34")

    def test_unknown_member_names_the_line(self, parse: Any) -> None:
        text = "project: {name: 测}\nfull_score: 4\nindicators:\n  - {name: A, weight: 4, rule: {type: judgment}}\nstated:\n  groups:\n    - name: 组\n      members: [A, 无此]\n"
        with pytest.raises(CaseFileError) as exc:
            parse(text)
        assert str(exc.value) == "test.yaml:8: stated.groups[0].members[1]: 找不到指标“无此”"


PLUGIN_FAMILY_READING_FINDINGS = """
from decimal import Decimal
from typing import Literal

from core.plugins import hookimpl, register_plugin
from scoring.rules.base import RuleOutcome, RuleParams, RuleType, clamp


class ByNature(RuleParams):
    type: Literal["by_nature"]
    per: Decimal

    @property
    def weighted(self) -> bool:
        return True


def apply(params, ctx):
    natures = sorted({f.nature for f in ctx.findings if f.waived is None})
    score = clamp(ctx.weight - params.per * len(natures), ctx.weight)
    return RuleOutcome(score, "、".join(natures) or "无问题")


class Firm:
    @hookimpl
    def register_rules(self, register):
        register(RuleType(name="by_nature", label="每类问题扣分", params=ByNature, apply=apply))


register_plugin(Firm(), name="firm-rules")
from scoring import Case, score_case  # the case model is built with the registry as it is now

case = Case.model_validate({
    "project": {"name": "插件规则"}, "full_score": 10,
    "indicators": [{"name": "过程", "children": [{"name": "制度执行", "weight": 10, "rule": {"type": "by_nature", "per": 2}}]}],
    "findings": [
        {"nature": "合同管理不规范", "indicator": "制度执行"},
        {"nature": "合同管理不规范", "indicator": "制度执行"},
        {"nature": "验收不及时", "indicator": "制度执行"},
    ],
})
result = score_case(case)
print(result.total, result.node("制度执行").audit)
"""


def test_a_plugin_family_that_reads_findings_by_kind_is_given_them() -> None:
    """A third-party family says through ``weighted`` that it reads each finding's 问题定性, as the built-ins do."""
    out = subprocess.run([sys.executable, "-c", PLUGIN_FAMILY_READING_FINDINGS], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["6.00", "合同管理不规范、验收不及时"]  # two kinds × 2 points off 10
