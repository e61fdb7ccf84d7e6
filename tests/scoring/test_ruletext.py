"""Rule text → rule: the wording of 评价标准 cells read into engine rules, on the seeds' own cells."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from conftest import seed_path
from scoring import load_case, score_case
from scoring.rules import REGISTRY
from scoring.ruletext import read_rule


def D(text: str) -> Decimal:
    return Decimal(text)


def without_text(spec: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in spec.items() if key != "text"}


@pytest.mark.parametrize(("family", "example"), [(rule.name, text) for rule in REGISTRY.values() for text in rule.examples])
def test_every_registered_example_reads_as_its_family(family: str, example: str) -> None:
    assert read_rule(example).family == family


def test_every_family_has_an_example() -> None:
    assert [name for name, rule in REGISTRY.items() if not rule.examples] == []


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("每发现一例扣0.2分，扣完为止", {"type": "per_finding", "per": D("0.2")}),
        ("合规得满分，每发现一例明显不合规情况扣0.5分", {"type": "per_finding", "per": D("0.5")}),
        ("上述每发现一项明显不符情况扣1分", {"type": "per_finding", "per": D("1")}),
        ("每出现一次扣0.5分，最多扣2分", {"type": "per_finding", "per": D("0.5"), "max_deduction": D("2")}),
        ("得分=预算执行率×分值", {"type": "ratio", "label": "预算执行率", "rate": "funds.execution_rate"}),
        ("满意度100%得满分，否则按比例得分", {"type": "ratio", "label": "满意度"}),
        ("15%及其以下得满分，每超1个百分点扣0.5分", {"type": "upper_bound", "limit": D(15), "per": D("0.5"), "per_unit": "points", "label": "实际值"}),
        ("每逾期一天扣0.1分，最多扣2分", {"type": "lateness", "per": D("0.1"), "unit": "day", "max_deduction": D(2)}),
        ("以100%及以上为满分，每降低1%扣权重值5%", {"type": "result_target", "below_penalty": D(5)}),
    ],
)
def test_wording_to_spec(text: str, spec: dict[str, Any]) -> None:
    found = read_rule(text)
    assert found.understood
    assert without_text(found.spec) == spec
    assert found.spec["text"] == text  # the wording is kept on the rule


def test_tiers_bounds_as_written() -> None:
    found = read_rule("≥95%得满分，90%（含）–95%得80%，80%（含）–90%得60%，低于80%不得分")
    assert found.spec["tiers"] == [
        {"min": D(95), "percent": D(100)},
        {"min": D(90), "max": D(95), "percent": D(80)},
        {"min": D(80), "max": D(90), "percent": D(60)},
        {"max": D(80), "percent": D(0)},
    ]


def test_tiers_yi_shang_yi_xia_include_the_number_unless_a_neighbour_claims_it() -> None:
    # 以上/以下 include the number (法定用语); here 80 is claimed by "80%-90%", so "80%以下" stops short of it.
    tiers = read_rule("90%以上得满分，80%-90%得80%，80%以下不得分").spec["tiers"]
    assert tiers == [{"min": D(90), "percent": D(100)}, {"min": D(80), "max": D(90), "percent": D(80)}, {"max": D(80), "percent": D(0)}]
    params = REGISTRY["tiered"].params.model_validate({"type": "tiered", "value": 90, "tiers": tiers})
    assert params.tiers[0].contains(D(90)) and not params.tiers[1].contains(D(90))


def test_tiers_on_counts() -> None:
    found = read_rule("0例得满分，1-2例得分值的80%，3例及以上不得分")
    assert found.spec["of"] == "findings"
    assert found.spec["tiers"][1] == {"min": D(1), "max": D(2), "max_inclusive": True, "percent": D(80)}
    assert found.spec["tiers"][2] == {"min": D(3), "percent": D(0)}


def test_ratio_and_per_finding_together_are_composite() -> None:
    found = read_rule("运维完成率达到100%得满分，否则按比例得分；每发现一例运维中断扣0.25分")
    assert without_text(found.spec) == {"type": "composite", "base": {"type": "ratio", "label": "运维完成率"}, "per": D("0.25")}
    assert found.needs == ("base.rate",)


@pytest.mark.parametrize("text", ["", "①项目立项符合法律法规；②与部门职责相符", "信息化系统能满足政务工作需求，为政务工作提供有力支持。"])
def test_unreadable_becomes_judgment_and_says_so(text: str) -> None:
    found = read_rule(text)
    assert found.family == "judgment" and not found.understood
    assert "按评价人酌情扣分（judgment）处理" in found.message
    if text:
        assert found.spec["text"] == text


def _seed_leaves(number: str) -> list[Any]:
    from checker import load_report
    from checker.facts import analyse

    facts = analyse(load_report(seed_path(number)))
    return [leaf for leaf in facts.tree.leaves() if leaf.row is not None]


def test_seed_004_criteria_cells() -> None:
    """附件1's 评价标准 column: the 9 per-finding cells, the ratio cells, and criteria-only cells left as judgment."""
    read = {leaf.name: read_rule(leaf.row.criteria) for leaf in _seed_leaves("004")}
    per = {name: r.spec["per"] for name, r in read.items() if r.family == "per_finding"}
    assert per == {
        "制度执行有效性": D("0.2"), "建设程序合规性": D("0.5"), "建设项目验收合格率": D("0.5"), "信息化系统运行稳定性": D("1"),
        "数据资源管理情况": D("0.5"), "运维管理规范性": D("0.5"), "项目完成及时性": D("0.2"), "验收及时性": D("0.2"), "运维报告提交及时性": D("0.2"),
    }
    ratios = {name: r.spec["label"] for name, r in read.items() if r.family == "ratio"}
    assert ratios["预算执行率"] == "预算执行率" and read["预算执行率"].spec["rate"] == "funds.execution_rate"
    assert ratios["服务对象满意度"] == "满意度"
    assert set(ratios) == {"预算执行率", "服务对象满意度", "项目建设完成率", "租赁及服务采购项目完成率", "项目运维完成率"}
    judged = sorted(name for name, r in read.items() if r.family == "judgment")
    assert len(judged) == 13 and "立项依据充分性" in judged and "信息化系统可用性" in judged


def test_seed_003_explanatory_notes() -> None:
    """003's 填表说明 states the levels and the target rules in prose."""
    text = seed_path("003").read_text(encoding="utf-8")
    levels = next(s for s in re.split(r"[。]", text) if "定性指标按照" in s)
    assert without_text(read_rule(levels).spec) == {"type": "levels", "scale": {"好": D(100), "较好": D(80), "一般": D(60), "较差": D(40), "差": D(20)}}
    output = next(s for s in re.split(r"[；。]", text) if "“产出”类每项指标" in s)
    assert without_text(read_rule(output).spec) == {
        "type": "output_band", "band_low": D(100), "band_high": D(130), "below_penalty": D(5), "above_penalty": D(1),
    }


def _check_then_score(number: str, tmp_path: Path) -> tuple[str, dict[str, Any], Any]:
    case = tmp_path / f"{number}.yaml"
    proc = subprocess.run([sys.executable, "-m", "jixiao", "check", str(seed_path(number)), "--case", str(case)], capture_output=True, text=True)
    assert case.exists(), proc.stderr
    scored = subprocess.run([sys.executable, "-m", "jixiao", "score", str(case), "--json"], capture_output=True, text=True)
    assert scored.returncode == 0, scored.stderr
    return proc.stderr, json.loads(scored.stdout), load_case(case)


def test_check_case_003_carries_the_reports_rules(tmp_path: Path) -> None:
    message, result, case = _check_then_score("003", tmp_path)
    assert "38 个末级指标中 32 个的评分规则取自报告原文" in message
    assert Decimal(str(result["total"])) == D("77.90")
    flagged = {(c["kind"], c["location"].split("/")[-1]) for c in result["checks"]}
    assert ("stated_score", "预算执行率") in flagged and ("stated_total", "stated.total") in flagged
    node = next(n for n in result["nodes"] if n["name"] == "预算执行率")
    assert node["rule"] == "output_band" and node["score"] == 3.9


def test_check_case_004_still_totals_82_46(tmp_path: Path) -> None:
    message, result, case = _check_then_score("004", tmp_path)
    assert "27 个末级指标中 11 个的评分规则取自报告原文" in message
    assert Decimal(str(result["total"])) == D("82.46")
    assert not [c for c in result["checks"] if c["kind"].startswith("stated_")]
    rules = {n["name"]: n["rule"] for n in result["nodes"] if n["is_leaf"]}
    assert rules["制度执行有效性"] == "per_finding" and rules["服务对象满意度"] == "ratio"
    assert score_case(case).node("制度执行有效性").audit.startswith("13 例 × 0.2 = 2.60")


# ── counts a 评价说明 states (one reader for the report checker and the workbook import) ──────────
@pytest.mark.parametrize(
    ("note", "unit", "expected"),
    [
        ("以上问题合计共7例，扣1.4分", "例", (7, True)),
        ("合同后补3例、验收资料缺失1例，每例0.5分，扣2分", "例", (4, True)),
        ("抽查发现3项资料不全。按标准扣0.6分", "项", (3, False)),  # the count is in an earlier sentence
        ("抽查10个项目，发现3例不合规，扣0.6分", "例", (3, True)),  # other units are not cases
        ("资料齐全，不扣分", "例", None),
    ],
)
def test_stated_count(note: str, unit: str, expected: tuple[int, bool] | None) -> None:
    from scoring.ruletext import stated_count

    assert stated_count(note, unit) == expected


def test_count_unit() -> None:
    from scoring.ruletext import count_unit

    assert [count_unit(text) for text in ("每发现一项不符扣1分", "每缺报1份扣0.5分", "每例扣0.2分", "酌情扣分")] == ["项", "份", "例", "例"]
