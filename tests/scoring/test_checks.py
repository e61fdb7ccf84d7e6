"""Differences from what a document states, and fund identities."""

from __future__ import annotations

from decimal import Decimal

from scoring import parse_case, score_case

BASE = """
project: {{name: x}}
funds:
  budget: 3773
  adjustment: 0
  allocated: 3773
  received: 3773
  spent: 3513
  carried_over: 0
  recovered: 0
  contract_amount: 1326.47
  contract_paid: 945.61
  lines:
    - {{name: 甲, budget: 3000}}
    - {{name: 乙, budget: 773}}
indicators:
  - name: 过程
    weight: 100
    children:
      - {{name: 预算执行率, weight: 6, rule: {{type: output_band, target: 100, actual: funds.execution_rate}}}}
      - {{name: 其他, weight: 94, rule: {{type: judgment, deduction: 10, reason: 管理不规范}}}}
{stated}
"""


def run(stated: str = ""):
    return score_case(parse_case(BASE.format(stated=stated)))


def test_fund_metrics() -> None:
    result = run()
    assert result.fund("execution_rate").value == Decimal("93.11")
    assert result.fund("fund_balance").value == Decimal("260.00")
    assert result.fund("indicator_balance").value == Decimal("0.00")
    assert result.fund("contract_payment_ratio").value == Decimal("71.29")
    assert result.fund("arrival_rate").value == Decimal("100.00")


def test_fund_balance_identity_fails_like_seed_003() -> None:
    checks = [c for c in run().checks if c.kind == "fund_identity"]
    assert len(checks) == 1
    assert checks[0].computed == Decimal("260.00") and checks[0].stated == Decimal("0.00")


def test_fund_ref_feeds_a_rule() -> None:
    # 93.11% of target → 6.89 points below → 6 − 6.89 × 5% × 6 = 3.933 → 3.93
    assert run().node("预算执行率").score == Decimal("3.93")


def test_every_stated_difference_is_reported() -> None:
    result = run(
        """
stated:
  source: 报告表3
  total: 90
  grade: 优
  full_score: 94
  scores: {预算执行率: 6, 其他: 84}
  weights: {其他: 90}
  rates: {过程: 90}
  funds: {execution_rate: 93, fund_balance: 260, balance: 300}
"""
    )
    found = {(c.kind, c.location): c for c in result.checks}
    assert found[("stated_total", "stated.total")].computed == result.total
    assert ("stated_grade", "stated.grade") in found
    assert ("stated_full_score", "stated.full_score") in found
    assert found[("stated_score", "过程/预算执行率")].stated == Decimal(6)
    assert ("stated_score", "过程/其他") not in found  # 84 is right
    assert found[("stated_weight", "过程/其他")].computed == Decimal(94)
    assert ("stated_rate", "过程") in found  # 87.93 % computed
    assert ("stated_fund", "funds.balance") in found  # 3773 − 3513 = 260
    # 93 % stated with no decimals matches 93.11 % at the stated precision; 260 is right.
    assert ("stated_fund", "funds.execution_rate") not in found
    assert ("stated_fund", "funds.fund_balance") not in found
    assert all("报告表3" in c.message for c in result.checks if c.kind.startswith("stated"))


def test_stated_grade_inconsistent_with_its_own_total() -> None:
    result = run("stated: {total: 82, grade: 优}")
    assert any(c.kind == "stated_grade_bands" and c.computed == "良" for c in result.checks)


def test_sub_project_lines_must_sum() -> None:
    result = score_case(parse_case(BASE.format(stated="").replace("budget: 773", "budget: 770")))
    assert [c.location for c in result.checks if c.kind == "fund_lines_sum"] == ["funds.lines.budget"]


def test_stated_fund_without_data_is_unverifiable() -> None:
    case = parse_case("project: {name: x}\nfull_score: 1\nindicators: [{name: a, weight: 1, rule: {type: judgment}}]\nstated: {funds: {balance: 5}}\n")
    assert [c.kind for c in score_case(case).checks] == ["stated_fund_unverifiable"]


def test_checks_name_their_place_in_chinese_and_where_the_figure_is_stated() -> None:
    """A check shows 预算执行率 / 总分 / 问题清单第N条 (never funds.execution_rate), and ends with where that figure is written."""
    from scoring.results import place_label

    assert place_label("funds.execution_rate") == "预算执行率"
    assert place_label("funds.lines.spent") == "子项目支出合计"
    assert place_label("findings[7]") == "问题清单第8条"
    assert place_label("stated.total") == "总分" and place_label("stated.groups[0]") == "报告所列小计第1项"
    case = parse_case(
        """
project: {name: 某项目}
funds: {budget: 100, received: 100, spent: 90}
indicators:
  - {name: 预算执行率, weight: 50, rule: {type: ratio, numerator: funds.spent, denominator: funds.received}}
  - {name: 其他, weight: 50, rule: {type: judgment, deduction: 0, reason: 无}}
stated:
  source: 评价报告全文（第一部分 资金、第三部分 评分表）
  total: 96
  scores: {预算执行率: 46}
  funds: {execution_rate: 91}
  places: {total: 表3-1 合计行, 预算执行率: 表3-1 第2行}
""",
        "case.yaml",
    )
    checks = {check.location: check for check in score_case(case).checks}
    assert checks["stated.total"].message.endswith("（表3-1 合计行）")
    assert checks["预算执行率"].message.endswith("（表3-1 第2行）")
    fund = checks["funds.execution_rate"]
    assert fund.place == "预算执行率" and fund.message.endswith("（评价报告全文（第一部分 资金、第三部分 评分表））")
    assert score_case(case).model_dump(mode="json")["checks"][0]["place"]


def test_audits_read_as_documents_write_them() -> None:
    """A one-child node says whose score it carries (no 「2.50 = 2.50」); fund amounts keep two decimals (820.00 / 860.00)."""
    case = parse_case(
        """
project: {name: 某项目}
funds: {budget: 860, received: 820, spent: 820}
indicators:
  - name: 满意度
    weight: 10
    children:
      - {name: 服务对象满意度, weight: 10, rule: {type: ratio, rate: 91.37}}
  - {name: 到位率, weight: 90, rule: {type: ratio, numerator: funds.received, denominator: funds.budget, label: 资金到位率}}
""",
        "case.yaml",
    )
    result = score_case(case)
    assert result.node("满意度").audit == "同“服务对象满意度”得分 9.14"
    assert result.node("到位率").audit.startswith("资金到位率 = 820.00 / 860.00 = 95.35%")
