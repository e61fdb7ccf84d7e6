"""Acceptance on the real reports: hand-written case files recompute to what the reports state."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from conftest import CASES, seed_path
from scoring import load_case, score_case
from scoring.results import ScoreResult
from scoring.tree import TreeIndex


def result_of(number: str) -> ScoreResult:
    seed_path(number)  # the report the case was written from must exist
    return score_case(load_case(CASES / f"seed_{number}.yaml"))


def kinds(result: ScoreResult) -> set[tuple[str, str]]:
    return {(check.kind, check.location) for check in result.checks}


@pytest.mark.parametrize(("number", "total", "grade"), [("000", "94", "优"), ("001", "81", "良"), ("004", "82.46", "良")])
def test_cli_json_total_and_grade(number: str, total: str, grade: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "jixiao", "score", str(CASES / f"seed_{number}.yaml"), "--json"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert Decimal(str(data["total"])) == Decimal(total)
    assert data["grade"] == grade


def test_seed_004_every_third_level_score_equals_annex_1() -> None:
    case = load_case(CASES / "seed_004.yaml")
    result = score_case(case)
    leaves = [node for node in result.nodes if node.is_leaf]
    assert len(leaves) == 27  # 附件1 has 27 三级指标
    assert case.stated is not None
    stated_leaves = {key for key in case.stated.scores if result.node(key).is_leaf}
    assert len(stated_leaves) == 27
    assert not [c for c in result.checks if c.kind in ("stated_score", "stated_total", "stated_grade", "stated_rate", "stated_weight")]
    # Figures quoted in domain.md, recomputed by the rules rather than copied:
    assert result.node("预算执行率").audit == "预算执行率 = 5191.10 / 5412.69 = 95.91%；2 × 95.91% = 1.92"
    assert result.node("制度执行有效性").score == Decimal("3.40")
    assert "13 例 × 0.2 = 2.60" in result.node("制度执行有效性").audit
    assert result.node("项目效益/服务对象满意度/服务对象满意度").score == Decimal("9.44")
    assert result.node("项目建设完成率").score == Decimal("2.40")
    assert [(c.name, c.score) for c in result.categories] == [
        ("项目决策", Decimal("12.50")),
        ("项目过程", Decimal("12.32")),
        ("项目产出", Decimal("31.20")),
        ("项目效益", Decimal("26.44")),
    ]


def test_seed_004_findings_are_the_annex_2_list() -> None:
    case = load_case(CASES / "seed_004.yaml")
    natures = {finding.nature for finding in case.findings}
    assert {"政府采购管理不规范", "合同管理不规范", "资产管理欠规范", "项目实施效益不佳"} <= natures
    assert all(finding.project for finding in case.findings)
    # 13 例 as the 评价说明 counts them: 12 rows attached there (row 5 is listed but waived) and row 19 counted there too.
    counted = [f for f in case.findings if "制度执行有效性" in f.indicators and f.waived is None]
    assert len(counted) == 13
    assert [f.id for f in case.findings if f.also_indicators == ("制度执行有效性",)] == ["19"]
    natures = Counter(f.nature for f in counted)
    assert natures["政府采购管理不规范"] == 5 and natures["合同管理不规范"] == 5 and natures["资产管理欠规范"] == 2
    assert len([f for f in case.findings if f.id and f.id.isdigit()]) == 37  # 附件2's rows, all kept


def _leaf_rules(number: str) -> dict[str, Any]:
    case = load_case(CASES / f"seed_{number}.yaml")
    return {leaf.path: leaf.node.rule for leaf in TreeIndex(case).nodes if not leaf.node.children}


@pytest.mark.parametrize(
    ("number", "families"),
    [
        ("004", {"judgment": 12, "ratio": 4, "per_finding": 9, "composite": 1, "tiered": 1}),
        ("003", {"levels": 11, "output_band": 16, "result_target": 10, "upper_bound": 1}),
        ("000", {"judgment": 16, "ratio": 3}),
        ("001", {"judgment": 4}),
    ],
)
def test_seed_leaves_by_rule_family(number: str, families: dict[str, int]) -> None:
    """Every leaf whose report states a rule uses it; judgment only where the report gives a bare reason."""
    rules = _leaf_rules(number)
    assert dict(Counter(rule.type for rule in rules.values())) == families
    # No typed-in count where findings exist: every per-finding count comes from the attached findings.
    assert [path for path, rule in rules.items() if getattr(rule, "count", None) is not None] == []
    assert [path for path, rule in rules.items() if rule.type == "judgment" and rule.deduction and not rule.reason] == []


def test_seed_004_counts_come_from_findings() -> None:
    result = result_of("004")
    expected = {  # 附件1 评价说明: cases counted, score
        "制度执行有效性": (13, "3.40"), "建设程序合规性": (1, "2.50"), "建设项目验收合格率": (1, "2.50"), "信息化系统运行稳定性": (2, "2.00"),
        "数据资源管理情况": (3, "2.50"), "运维管理规范性": (2, "3.00"), "项目完成及时性": (3, "1.40"), "验收及时性": (2, "1.60"),
        "运维报告提交及时性": (1, "1.80"), "项目运维完成率": (2, "3.50"),
    }
    for name, (cases, score) in expected.items():
        node = result.node(name)
        assert node.score == Decimal(score), name
        assert f"{cases} 例 ×" in node.audit, (name, node.audit)
    assert not [c for c in result.checks if c.kind in ("finding_count", "finding_without_deduction", "unattached_finding")]


def test_seed_004_table_1_1_lines_drift_by_a_cent() -> None:
    result = result_of("004")
    drift = [c for c in result.checks if c.kind == "fund_lines_sum"]
    assert drift and all(c.severity == "warning" and "四舍五入" in c.message for c in drift)
    assert result.fund("execution_rate").value == Decimal("95.91")
    assert result.fund("balance").value == Decimal("221.59")


def test_seed_003_rules_recomputed_against_stated_80() -> None:
    result = result_of("003")
    assert result.full_score == 80
    assert result.node("预算执行率").score == Decimal("3.90")  # 6 − 7 × 5% × 6, the report gives 6
    found = kinds(result)
    assert ("stated_score", "投入/预算执行率") in found
    assert ("fund_identity", "funds.fund_balance") in found  # 260 stated, 结转 0 + 收回 0
    assert ("stated_total", "stated.total") in found
    assert result.total == Decimal("77.90")
    # 003's even split: 产出 24 over 11 leaves, 结果 22 over 9.
    outputs = [n for n in result.nodes if n.parent == "产出"]
    assert [n.weight for n in outputs] == [Decimal("2.18")] * 10 + [Decimal("2.20")]
    results = [n for n in result.nodes if n.parent == "结果"]
    assert [n.weight for n in results] == [Decimal("2.44")] * 8 + [Decimal("2.48")]


def test_seed_001_balance_error_of_domain_md() -> None:
    result = result_of("001")
    check = next(c for c in result.checks if c.location == "funds.balance")
    assert check.stated == Decimal("1466.61") and check.computed == Decimal("1468.25")
    assert result.fund("contract_payment_ratio").value == Decimal("71.29")
    assert [(c.name, c.score) for c in result.categories] == [
        ("决策", Decimal("18.00")), ("过程", Decimal("18.00")), ("产出", Decimal("21.00")), ("效益", Decimal("24.00")),
    ]


def test_seed_000_total_row_weight_is_flagged() -> None:
    result = result_of("000")
    check = next(c for c in result.checks if c.kind == "stated_full_score")
    assert check.stated == Decimal(94) and check.computed == Decimal(100)
    assert result.node("决策").rate == Decimal("83.33")
    assert result.node("产出").rate == Decimal("96.30")
