"""Tree walk, subtotals, rounding modes, grades and checks on small hand-made cases."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scoring import Case, grade_for, parse_case, score_case
from scoring.models import Grading

TREE = """
project: {name: 示例}
indicators:
  - name: 决策
    weight: 10
    children:
      - name: 项目立项
        children:
          - {name: 立项依据充分性, weight: 4, rule: {type: judgment}}
          - {name: 立项程序规范性, weight: 6, rule: {type: judgment, deduction: 1.5, reason: 程序不全}}
  - name: 产出
    weight: 90
    split: even
    children:
      - {name: 数量, rule: {type: output_band, target: 10, actual: 9}}
      - {name: 质量, rule: {type: levels, level: 较好}}
      - {name: 时效, rule: {type: per_finding, per: 1}}
findings:
  - {nature: 进度缓慢, project: 甲系统, indicator: 时效}
  - {nature: 进度缓慢, project: 乙系统, indicator: 产出/时效}
"""


def test_subtotals_total_and_audit() -> None:
    result = score_case(parse_case(TREE))
    assert result.node("立项程序规范性").score == Decimal("4.50")
    assert result.node("项目立项").weight == 10  # no weight given: sum of its children
    assert result.node("项目立项").score == Decimal("8.50")
    assert result.node("决策").score == Decimal("8.50")
    assert result.node("数量").score == Decimal("15.00")  # 90% → 10 points below → 30 − 50% × 30
    assert result.node("质量").score == Decimal("24.00")
    assert result.node("时效").score == Decimal("28.00")  # two findings attached, by name and by path
    assert result.node("产出").audit == "15.00 + 24.00 + 28.00 = 67.00"
    assert result.total == Decimal("75.50")
    assert result.grade == "中"
    assert result.rate == Decimal("75.50")
    assert [c.kind for c in result.checks] == []


def test_categories_are_first_level() -> None:
    result = score_case(parse_case(TREE))
    assert [(c.name, c.weight, c.rate) for c in result.categories] == [
        ("决策", Decimal(10), Decimal("85.00")),
        ("产出", Decimal(90), Decimal("74.44")),
    ]


def _thirds(totals: str) -> Case:
    leaves = "\n".join(f"      - {{name: 子{i}, weight: 1, rule: {{type: ratio, rate: 33.333}}}}" for i in range(3))
    return parse_case(
        f"project: {{name: x}}\nfull_score: 3\nrounding: {{totals: {totals}}}\nindicators:\n  - name: 甲\n    children:\n{leaves}\n"
    )


def test_totals_sum_rounded_leaves_by_default() -> None:
    assert score_case(_thirds("sum_of_rounded")).total == Decimal("0.99")


def test_totals_can_round_the_exact_sum() -> None:
    assert score_case(_thirds("round_of_sum")).total == Decimal("1.00")


@pytest.mark.parametrize(
    ("total", "expected"),
    [("100", "优"), ("90", "优"), ("89.99", "良"), ("80", "良"), ("79.99", "中"), ("60", "中"), ("59.99", "差"), ("0", "差")],
)
def test_default_bands_lower_bound_inclusive(total: str, expected: str) -> None:
    assert grade_for(Decimal(total), Decimal(100), Grading()) == expected


def test_custom_bands_and_percent_basis() -> None:
    grading = Grading(bands=[{"name": "优", "min": 90}, {"name": "良", "min": 80}, {"name": "较差", "min": 60}, {"name": "差", "min": 0}])
    assert grade_for(Decimal("65"), Decimal(100), grading) == "较差"
    # A full score of 80 (003): 72 of 80 is 90 % → 优 on the percent basis, 差 on raw score with these bands.
    assert grade_for(Decimal(72), Decimal(80), Grading()) == "优"
    assert grade_for(Decimal(72), Decimal(80), Grading(basis="score")) == "中"


def test_bands_must_reach_zero() -> None:
    with pytest.raises(ValueError, match="下限须为 0"):
        Grading(bands=[{"name": "优", "min": 90}])


def test_weights_that_do_not_sum_are_checked() -> None:
    case = parse_case(
        """
project: {name: x}
indicators:
  - name: 决策
    weight: 20
    children:
      - {name: a, weight: 12, rule: {type: judgment}}
      - {name: b, weight: 10, rule: {type: judgment}}
"""
    )
    result = score_case(case)
    kinds = {(c.kind, c.location) for c in result.checks}
    assert ("weight_sum", "决策") in kinds
    assert ("weight_sum", "full_score") in kinds
    assert ("score_above_weight", "决策") in kinds  # 22 points earned under a weight of 20
    assert result.total == Decimal("22.00")  # the engine reports, it does not hide the error


def test_findings_attached_to_nothing_and_to_a_full_score_leaf() -> None:
    case = parse_case(
        """
project: {name: x}
full_score: 5
indicators:
  - {name: a, weight: 5, rule: {type: judgment}}
findings:
  - {nature: 档案管理不完善, project: 丙平台}
  - {nature: 合同管理不规范, indicator: a}
"""
    )
    result = score_case(case)
    assert [(c.kind, c.location) for c in result.checks] == [("unattached_finding", "findings[0]"), ("finding_without_deduction", "a")]


def test_explicit_count_disagreeing_with_findings() -> None:
    case = parse_case(
        """
project: {name: x}
full_score: 5
indicators:
  - {name: a, weight: 5, rule: {type: per_finding, per: 0.5, count: 3}}
findings:
  - {nature: 采购, indicator: a}
"""
    )
    result = score_case(case)
    assert result.node("a").score == Decimal("3.50")
    assert [c.kind for c in result.checks] == ["finding_count"]


def test_ambiguous_leaf_name_needs_a_path() -> None:
    text = """
project: {name: x}
indicators:
  - name: 甲
    children: [{name: 及时性, weight: 50, rule: {type: judgment}}]
  - name: 乙
    children: [{name: 及时性, weight: 50, rule: {type: per_finding, per: 1}}]
findings:
  - {nature: 验收不及时, indicator: 及时性}
"""
    with pytest.raises(Exception, match="不唯一"):
        parse_case(text)
    result = score_case(parse_case(text.replace("indicator: 及时性", "indicator: 乙/及时性")))
    assert result.node("乙/及时性").score == Decimal("49.00")


def test_a_waived_finding_under_two_leaves_is_counted_in_neither() -> None:
    """Counts by leaf, with also_indicators and waived findings (TreeIndex.finding_counts reads their fields)."""
    case = parse_case(
        """
project: {name: 示例}
full_score: 10
indicators:
  - name: 管理
    weight: 10
    children:
      - {name: 采购合规性, weight: 5, rule: {type: per_finding, per: 1}}
      - {name: 合同管理, weight: 5, rule: {type: per_finding, per: 0.5}}
findings:
  - {nature: 未按规定采购, indicator: 采购合规性, also_indicators: [合同管理]}
  - {nature: 未按规定采购, indicator: 采购合规性}
  - {nature: 合同未备案, indicator: 合同管理, also_indicators: [采购合规性], waived: 已在评价期内整改}
  - {nature: 资料不全}
"""
    )
    result = score_case(case)
    purchase, contract = result.node("采购合规性"), result.node("合同管理")
    assert (purchase.findings, purchase.score) == (2, Decimal("3.00"))  # 5 − 2 × 1; the waived one not counted
    assert (contract.findings, contract.score) == (1, Decimal("4.50"))  # 5 − 1 × 0.5
    assert "另列 1 例未扣分" in purchase.audit and "另列 1 例未扣分" in contract.audit
    assert [check.kind for check in result.checks] == ["unattached_finding"]  # 资料不全 names no indicator
