"""Working papers in: seed 004's 附件1 + 附件2 as an evaluator's workbook, and every way a workbook can be wrong."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from conftest import seed_path
from scoring import CaseFileError, case_from_data, score_case
from scoring.io import case_to_data
from scoring.workpapers import ImportResult, import_workpapers
from seed_workbook import build_seed_004_workbook

D = Decimal


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jixiao", *args], capture_output=True, text=True, env={**__import__("os").environ, "COLUMNS": "200"})


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_seed_004_workbook(seed_path("004"), tmp_path_factory.mktemp("wp") / "永州工作底稿.xlsx")


@pytest.fixture(scope="module")
def imported(workbook: Path) -> ImportResult:
    return import_workpapers([(workbook.name, workbook.read_bytes())])


def test_seed_004_workbook_imports_to_the_report(imported: ImportResult) -> None:
    case = imported.case
    result = score_case(case)
    leaves = [node for node in result.nodes if node.is_leaf]
    assert len(leaves) == 27
    assert [root.weight for root in case.indicators] == [14, 16, 40, 30]
    assert len(case.findings) == 37
    assert len(Counter(finding.nature for finding in case.findings)) == 8
    assert imported.rules_read >= 10
    assert result.total == D("82.46")
    assert case.stated is not None and case.stated.total == D("82.46")
    assert case.project.name == "2023年永州市公共服务信息化运维" and case.project.year == 2023
    by_path = {row.path: row for row in imported.inferences}
    execution = by_path["项目过程/资金管理/预算执行率"]
    assert (execution.family, execution.score) == ("ratio", D("1.92")) and "95.91%" in execution.words
    rule = by_path["项目过程/组织实施/制度执行有效性"]
    assert rule.family == "per_finding" and "13 例" in rule.words
    assert by_path["项目效益/服务对象满意度/服务对象满意度"].score == D("9.44")
    # 运维完成率 reads as a ratio at 100 % (4 points) but the sheet gives 3.5: a check, and the sheet stands.
    assert "3.5" in by_path["项目产出/产出数量/项目运维完成率"].check and by_path["项目产出/产出数量/项目运维完成率"].family == "judgment"
    # Findings placed by the 评价说明 that names their project; the rest reported, never dropped.
    first = next(f for f in case.findings if f.id == "1")
    assert first.indicator == "项目过程/组织实施/制度执行有效性"
    assert sum(1 for f in case.findings if f.indicator) >= 30
    assert all(p.why for p in imported.placements) and len(imported.placements) == 37
    assert any("未挂到指标" in check for check in imported.checks)


def test_stated_figures_name_their_sheet_row(imported: ImportResult) -> None:
    """A check on an imported score names the row it was read from, not the whole workbook."""
    stated = imported.case.stated
    assert stated is not None
    assert stated.places["total"].startswith("工作表“附件1 评分表”第") and "（合计得分）" in stated.places["total"]
    assert re.fullmatch(r"工作表“附件1 评分表”第\d+行", stated.places["项目过程/资金管理/预算执行率"])
    data = case_to_data(imported.case)
    data["stated"]["scores"]["项目过程/资金管理/预算执行率"] = 2
    (check,) = [c for c in score_case(case_from_data(data)).checks if c.kind == "stated_score"]
    assert check.message.endswith(f"（{stated.places['项目过程/资金管理/预算执行率']}）")


def test_problems_draft_names_the_projects(imported: ImportResult) -> None:
    from assistant.drafting import draft_case

    text = "".join(s.text for section in draft_case(imported.case, "problems").sections for p in section.paragraphs for s in p.sentences)
    for project in ("永州市政府门户网站运维", "全市政府信息系统等级保护测评", "电子政务外网网络租赁"):
        assert project in text
    assert "政府采购管理不规范" in text


def test_cli_import_prints_the_inference_and_writes_the_case(workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "case.yaml"
    proc = run("import", str(workbook), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "27 个末级指标" in proc.stdout and "37 条问题" in proc.stdout and "总分 82.46" in proc.stdout
    assert "每发现一例扣分" in proc.stdout and "需核对" in proc.stdout
    scored = run("score", str(out), "--json")
    assert '"total": 82.46' in scored.stdout
    alias = run("import-xlsx", str(workbook), "-q")
    assert alias.returncode == 0 and "总分 82.46" in alias.stdout


# ── bad input: a Chinese message with file, sheet, row and column; nothing written ──


def _book(rows: list[list[object]], title: str = "评分表") -> bytes:
    import io

    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER = ["一级指标", "分值", "二级指标", "分值", "三级指标", "分值", "评价标准", "得分", "评价说明"]
ROW = ["决策", 10, "立项", 10, "立项依据充分性", 10, "每发现一例扣1分", 8, "共2例，扣2分"]


def problems_of(files: list[tuple[str, bytes]]) -> list[str]:
    with pytest.raises(CaseFileError) as caught:
        import_workpapers(files)
    return [str(problem) for problem in caught.value.problems]


def test_text_in_a_score_cell_names_sheet_row_and_column() -> None:
    bad = ROW[:7] + ["八分", ROW[8]]
    (message,) = problems_of([("底稿.xlsx", _book([["某项目评分表"], HEADER, bad]))])
    assert "底稿.xlsx:3" in message and "工作表“评分表”第3行 H列（得分）" in message and "应为数字" in message


def test_wrong_sheet_is_named() -> None:
    (message,) = problems_of([("底稿.xlsx", _book([["序号", "名称"], [1, "甲"]], title="Sheet1"))])
    assert "没有找到评分表" in message


def test_missing_header_on_a_sheet_named_like_a_score_sheet() -> None:
    (message,) = problems_of([("底稿.xlsx", _book([["指标", "满分"], ["决策", 10]], title="评分表"))])
    assert "工作表“评分表”" in message and "找不到表头" in message and "一级指标" in message


def test_a_finding_pointing_at_no_leaf() -> None:
    import io

    book = Workbook()
    book.active.title = "评分表"
    book.active.append(HEADER)
    book.active.append(ROW)
    findings = book.create_sheet("问题清单")
    findings.append(["序号", "项目", "问题定性", "具体问题", "对应指标"])
    findings.append([1, "甲项目", "合同管理不规范", "合同签订不及时", "立项依据充分性"])
    findings.append([2, "乙项目", "合同管理不规范", "验收不及时", "验收及时性"])
    buffer = io.BytesIO()
    book.save(buffer)
    (message,) = problems_of([("底稿.xlsx", buffer.getvalue())])
    assert "底稿.xlsx:3" in message and "问题清单" in message and "E列" in message and "“验收及时性”不是评分表中的末级指标" in message


def test_not_a_workbook_and_nothing_written(tmp_path: Path) -> None:
    bad = tmp_path / "x.xlsx"
    bad.write_text("not a zip", encoding="utf-8")
    out = tmp_path / "case.yaml"
    proc = run("import", str(bad), "-o", str(out))
    assert proc.returncode == 2 and "不是可读取的 .xlsx 文件" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()
    score = tmp_path / "s.xlsx"
    score.write_bytes(_book([HEADER, ROW[:7] + ["八分", ROW[8]]]))
    proc = run("import", str(score), "-o", str(out))
    assert proc.returncode == 2 and "第2行 H列（得分）" in proc.stderr and not out.exists()


def test_per_finding_counts_from_the_note_and_the_sheet_score_stands_when_they_differ() -> None:
    good = import_workpapers([("a.xlsx", _book([HEADER, ROW]))])
    assert good.inferences[0].family == "per_finding" and score_case(good.case).total == D("8")
    wrong = import_workpapers([("a.xlsx", _book([HEADER, ROW[:7] + [7, "共2例，扣2分"]]))])
    assert wrong.inferences[0].family == "judgment" and "算得 8.00 分" in wrong.inferences[0].check
    assert score_case(wrong.case).total == D("7")


def test_funds_targets_and_survey_sheets_fill_the_inputs() -> None:
    import io

    book = Workbook()
    scores = book.active
    scores.title = "评分表"
    scores.append(["一级指标", "三级指标", "分值", "评分标准", "得分", "评价说明"])
    scores.append(["过程", "预算执行率", 5, "得分=预算执行率×分值", 4.5, ""])
    scores.append(["效益", "满意度", 10, "满意度100%得满分，否则按比例得分", 9.2, ""])
    scores.append(["效益", "完成率", 5, "得分=完成率×分值", 4, ""])
    scores.append(["合计", None, 20, None, 17.7, None])
    funds = book.create_sheet("资金明细")
    funds.append(["资金明细表（万元）"])
    funds.append(["序号", "项目名称", "指标金额", "到位金额", "支付金额", "结余", "备注"])
    funds.append([1, "甲", 60, 60, 54, 6, None])
    funds.append([2, "乙", 40, 40, 36, 4, None])
    funds.append(["合计", None, 100, 100, 90, 10, None])
    targets = book.create_sheet("基础数据")
    targets.append(["指标", "目标值", "实际完成值", "单位"])
    targets.append(["完成率", "100%", "80%", "%"])
    survey = book.create_sheet("问卷")
    survey.append(["调查对象", "样本数", "满意度"])
    survey.append(["社会公众", 100, "90%"])
    survey.append(["用户单位", 100, "94%"])
    buffer = io.BytesIO()
    book.save(buffer)
    result = import_workpapers([("b.xlsx", buffer.getvalue())])
    assert result.case.funds.spent == D("90") and len(result.case.funds.lines) == 2
    families = {row.path.split("/")[-1]: (row.family, row.score, row.words) for row in result.inferences}
    assert families["预算执行率"][:2] == ("ratio", D("4.50")) and "资金明细" in families["预算执行率"][2]
    assert families["满意度"][:2] == ("ratio", D("9.20")) and "问卷" in families["满意度"][2]
    assert families["完成率"][:2] == ("ratio", D("4.00")) and "基础数据" in families["完成率"][2]
    assert score_case(result.case).total == D("17.70")


# ── the other way: a case back to the same layout, and the empty workbook ──


def test_round_trip_keeps_findings_reasons_and_rules(imported: ImportResult) -> None:
    from scoring.workpapers.export import case_data, export_workbook

    again = import_workpapers([("导出.xlsx", export_workbook(imported.case))])
    assert case_data(again.case) == case_data(imported.case)
    reasons = [row for row in again.inferences if "未写明扣分理由" in str(row.words)]
    assert reasons == [] and score_case(again.case).total == D("82.46")
    assert [f.indicator for f in again.case.findings] == [f.indicator for f in imported.case.findings]


@pytest.mark.parametrize("name", ["seed_004.yaml", "seed_000.yaml", "seed_003.yaml"])
def test_hand_written_cases_export_and_import_to_the_same_scores(name: str) -> None:
    from conftest import CASES
    from scoring import load_case
    from scoring.workpapers.export import export_workbook

    case = load_case(CASES / name)
    again = import_workpapers([("x.xlsx", export_workbook(case))]).case
    before, after = score_case(case), score_case(again)
    assert after.total == before.total and [n.score for n in after.nodes] == [n.score for n in before.nodes]
    assert [(f.nature, f.issue, f.description, (f.indicator or "").split("/")[-1]) for f in again.findings] == [
        (f.nature, f.issue, f.description, (f.indicator or "").split("/")[-1]) for f in case.findings
    ]
    reasons = [getattr(leaf.rule, "reason", None) for root in again.indicators for leaf in _leaves(root)]
    assert "（评分表未写明扣分理由）" not in reasons


def _leaves(node):  # type: ignore[no-untyped-def]
    return [leaf for child in node.children for leaf in _leaves(child)] if node.children else [node]


def test_sample_workbook_is_the_sample_case(tmp_path: Path) -> None:
    from conftest import ROOT

    book = ROOT / "corpus" / "cases" / "sample_workbook.xlsx"
    result = import_workpapers([(book.name, book.read_bytes())])
    assert score_case(result.case).total == D("83.00") and len(result.case.findings) == 9
    fresh = tmp_path / "sample.xlsx"  # the file is what the command makes: regenerate it with the line below
    proc = run("init", str(fresh), "--from", str(ROOT / "corpus" / "cases" / "sample_case.yaml"))
    assert proc.returncode == 0, proc.stderr
    from scoring.workpapers.export import case_data

    assert case_data(import_workpapers([("s.xlsx", fresh.read_bytes())]).case) == case_data(result.case)


def test_init_writes_the_framework_with_header_comments(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "新项目.xlsx"
    proc = run("init", str(path), "--name", "某项目")
    assert proc.returncode == 0, proc.stderr
    book = load_workbook(path)
    assert book.sheetnames == ["项目信息", "评分表", "问题清单", "资金明细", "基础数据", "问卷"]
    header = [cell.value for cell in book["评分表"][2]]
    assert header[:6] == ["一级指标", "分值", "二级指标", "分值", "三级指标", "分值"] and "评价标准" in header
    assert "每发现一例扣0.2分" in book["评分表"].cell(2, header.index("评价标准") + 1).comment.text
    result = import_workpapers([(path.name, path.read_bytes())])
    assert [root.name for root in result.case.indicators] == ["决策", "过程", "产出", "效益"]
    assert run("init", str(path)).returncode == 2  # never overwrites without --force


def test_no_findings_means_problems_from_deductions_not_silence(tmp_path: Path) -> None:
    from assistant.drafting import draft_case

    path = build_seed_004_workbook(seed_path("004"), tmp_path / "只有评分表.xlsx", with_findings=False)
    case = import_workpapers([(path.name, path.read_bytes())]).case
    assert case.findings == [] and score_case(case).total == D("82.46")
    for section in ("problems", "suggestions"):
        draft = draft_case(case, section)
        text = "".join(p.text for s in draft.sections for p in s.paragraphs)
        assert "【请补充具体事例】" in text and "制度执行有效性" in text and text.strip() != "无。"
        assert draft.guard is not None and draft.guard.missing and "缺少问题清单" in draft.guard.missing[0]
