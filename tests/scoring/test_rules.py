"""Each rule family at its edges."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from conftest import leaf_case, leaf_score
from scoring import even_split


def D(text: str) -> Decimal:
    return Decimal(text)


class TestRatio:
    def test_seed_004_budget_execution(self) -> None:
        score, result = leaf_score(
            {"type": "ratio", "numerator": "funds.spent", "denominator": "funds.received", "label": "预算执行率"},
            weight=2,
            funds={"received": "5412.69", "spent": "5191.10"},
        )
        assert score == D("1.92")
        assert result.node("指标").audit == "预算执行率 = 5191.10 / 5412.69 = 95.91%；2 × 95.91% = 1.92"

    def test_satisfaction_rate(self) -> None:
        assert leaf_score({"type": "ratio", "rate": "94.42"}, weight=10)[0] == D("9.44")

    def test_completion_count(self) -> None:
        assert leaf_score({"type": "ratio", "numerator": 3, "denominator": 5}, weight=4)[0] == D("2.40")

    def test_capped_at_weight(self) -> None:
        score, result = leaf_score({"type": "ratio", "rate": 130}, weight=3)
        assert score == D("3.00")
        assert "按上限计" in result.node("指标").audit

    def test_exactly_100_percent(self) -> None:
        assert leaf_score({"type": "ratio", "rate": 100}, weight=3)[0] == D("3.00")

    def test_zero_and_negative_floor_at_zero(self) -> None:
        assert leaf_score({"type": "ratio", "rate": 0}, weight=3)[0] == 0
        assert leaf_score({"type": "ratio", "rate": -20}, weight=3)[0] == 0

    def test_zero_denominator_scores_zero_and_is_flagged(self) -> None:
        score, result = leaf_score({"type": "ratio", "numerator": 3, "denominator": 0}, weight=4)
        assert score == 0
        assert [c.kind for c in result.checks] == ["missing_value"]

    def test_missing_fund_figure_scores_zero(self) -> None:
        score, result = leaf_score({"type": "ratio", "numerator": "funds.spent", "denominator": "funds.received"}, weight=2)
        assert score == 0
        assert any(c.kind == "missing_value" for c in result.checks)

    def test_half_up_rounding_not_bankers(self) -> None:
        # 5 × 52.5% = 2.625: 四舍五入 gives 2.63 where round() would give 2.62.
        assert leaf_score({"type": "ratio", "rate": "52.5"}, weight=5)[0] == D("2.63")

    def test_rate_and_pair_are_exclusive(self) -> None:
        with pytest.raises(ValidationError, match="只能给出一种"):
            leaf_case({"type": "ratio", "rate": 90, "numerator": 1, "denominator": 2})


class TestPerFinding:
    def test_seed_004_thirteen_cases(self) -> None:
        score, result = leaf_score({"type": "per_finding", "per": "0.2"}, weight=6, findings=13)
        assert score == D("3.40")
        assert result.node("指标").audit == "13 例 × 0.2 = 2.60；6 − 2.60 = 3.40"

    def test_explicit_count(self) -> None:
        assert leaf_score({"type": "per_finding", "per": "0.2", "count": 3}, weight=2)[0] == D("1.40")

    def test_floor_at_zero(self) -> None:
        score, result = leaf_score({"type": "per_finding", "per": 1, "count": 9}, weight=4)
        assert score == 0
        assert "扣完为止" in result.node("指标").audit

    def test_no_findings_full_score(self) -> None:
        assert leaf_score({"type": "per_finding", "per": "0.5"}, weight=3)[0] == D("3.00")

    def test_max_deduction(self) -> None:
        assert leaf_score({"type": "per_finding", "per": 1, "count": 5, "max_deduction": 2}, weight=4)[0] == D("2.00")

    def test_per_must_be_positive(self) -> None:
        with pytest.raises(ValidationError):
            leaf_case({"type": "per_finding", "per": 0})


class TestJudgment:
    def test_deduction_with_reason(self) -> None:
        score, result = leaf_score({"type": "judgment", "deduction": 1, "reason": "绩效指标不明确"}, weight=3)
        assert score == D("2.00")
        assert result.node("指标").reason == "绩效指标不明确"

    def test_reason_required(self) -> None:
        with pytest.raises(ValidationError, match="扣分理由"):
            leaf_case({"type": "judgment", "deduction": 1})

    def test_deduction_beyond_weight_floors(self) -> None:
        assert leaf_score({"type": "judgment", "deduction": 5, "reason": "x"}, weight=3)[0] == 0

    def test_negative_deduction_rejected(self) -> None:
        with pytest.raises(ValidationError):
            leaf_case({"type": "judgment", "deduction": -1, "reason": "x"})


class TestLevels:
    @pytest.mark.parametrize(("level", "expected"), [("好", "3.00"), ("较好", "2.40"), ("一般", "1.80"), ("较差", "1.20"), ("差", "0.60")])
    def test_default_scale(self, level: str, expected: str) -> None:
        assert leaf_score({"type": "levels", "level": level}, weight=3)[0] == D(expected)

    def test_unknown_level(self) -> None:
        with pytest.raises(ValidationError, match="未知等级"):
            leaf_case({"type": "levels", "level": "优秀"})

    def test_custom_scale(self) -> None:
        assert leaf_score({"type": "levels", "level": "A", "scale": {"A": 90, "B": 70}}, weight=10)[0] == D("9.00")

    def test_missing_level_scores_zero(self) -> None:
        assert leaf_score({"type": "levels"}, weight=3)[0] == 0


class TestOutputBand:
    def rule(self, actual: object, target: object = 100) -> dict[str, object]:
        return {"type": "output_band", "target": target, "actual": actual}

    def test_seed_003_budget_execution(self) -> None:
        # 003's own rule: 93% of a 100% target is 7 points below → 6 − 7 × 5% × 6 = 3.9.
        score, result = leaf_score(self.rule(93), weight=6)
        assert score == D("3.90")
        assert result.node("指标").audit.endswith("6 − 7 × 5% × 6 = 3.90")

    @pytest.mark.parametrize("actual", [100, 115, 130])
    def test_band_is_full(self, actual: int) -> None:
        assert leaf_score(self.rule(actual), weight=2)[0] == D("2.00")

    def test_just_above_band(self) -> None:
        # 130.5% is 0.5 points above: 10 − 0.5 × 1% × 10 = 9.95.
        assert leaf_score(self.rule("130.5"), weight=10)[0] == D("9.95")

    def test_far_above_band(self) -> None:
        # 200% is 70 points above: 10 − 70% × 10 = 3.
        assert leaf_score(self.rule(200), weight=10)[0] == D("3.00")

    def test_far_below_floors_at_zero(self) -> None:
        assert leaf_score(self.rule(50), weight=10)[0] == 0

    def test_counts_not_percent(self) -> None:
        # 003's 圈存机布点数: 1000 of 805 is 124.22% → full.
        assert leaf_score(self.rule(1000, 805), weight="2.18")[0] == D("2.18")

    def test_target_zero_rejected(self) -> None:
        with pytest.raises(ValidationError, match="目标值须大于 0"):
            leaf_case(self.rule(5, 0))

    def test_negative_actual_rejected(self) -> None:
        with pytest.raises(ValidationError, match="不能为负数"):
            leaf_case(self.rule(-1))

    def test_missing_actual_scores_zero(self) -> None:
        score, result = leaf_score({"type": "output_band", "target": 10}, weight=2)
        assert score == 0
        assert "无法提供具体数值" in result.node("指标").audit


class TestResultTarget:
    def rule(self, actual: object, target: object = 100) -> dict[str, object]:
        return {"type": "result_target", "target": target, "actual": actual}

    def test_exactly_100(self) -> None:
        assert leaf_score(self.rule(100), weight="2.44")[0] == D("2.44")

    def test_above_100_no_penalty(self) -> None:
        assert leaf_score(self.rule(2690000, 500000), weight="2.44")[0] == D("2.44")

    def test_one_point_below(self) -> None:
        assert leaf_score(self.rule(99), weight=10)[0] == D("9.50")

    def test_zero_actual_floors(self) -> None:
        assert leaf_score(self.rule(0), weight=10)[0] == 0


def test_missing_rule_scores_zero() -> None:
    score, result = leaf_score({"type": "missing"}, weight=2)
    assert score == 0
    assert any(c.kind == "missing_value" for c in result.checks)


class TestEvenSplit:
    def test_seed_003_outputs(self) -> None:
        shares = even_split(D("24"), 11)
        assert shares == [D("2.18")] * 10 + [D("2.20")]
        assert sum(shares) == 24

    def test_seed_003_results(self) -> None:
        shares = even_split(D("22"), 9)
        assert shares == [D("2.44")] * 8 + [D("2.48")]

    def test_exact_division(self) -> None:
        assert even_split(D("8"), 4) == [D("2.00")] * 4
