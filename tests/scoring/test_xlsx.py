"""Excel: a 评分表 in 004's 附件1 layout imports to the same scores; export round-trips."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from conftest import CASES
from scoring import CaseFileError, load_case, score_case
from scoring.results import ScoreResult
from scoring.xlsx import export_result_xlsx, import_scoring_sheet


def write_annex_layout(result: ScoreResult, path: Path) -> None:
    """004's 附件1: 一级指标|分值|二级指标|分值|三级指标|分值|评价标准|得分|评价说明, merged parent cells."""
    book = Workbook()
    sheet = book.active
    sheet.title = "附件1"
    sheet.append(["项目绩效评价指标体系评分表"])
    sheet.append(["一级指标", "分值", "二级指标", "分值", "三级指标", "分值", "评价标准", "得分", "评价说明"])
    by_path = {node.path: node for node in result.nodes}
    start: dict[str, int] = {}
    for node in result.nodes:
        if not node.is_leaf:
            start[node.path] = sheet.max_row + 1
            continue
        second = by_path[node.parent]
        first = by_path[second.parent]
        sheet.append([first.name, float(first.weight), second.name, float(second.weight), node.name, float(node.weight), "标准", float(node.score), node.reason or ""])
    for node in result.nodes:
        if not node.is_leaf:
            last = max(i for i, n in enumerate(result.nodes) if n.path.startswith(node.path + "/"))
            rows = sum(1 for n in result.nodes[: last + 1] if n.is_leaf and n.path.startswith(node.path + "/"))
            column = 1 if node.level == 1 else 3
            first_row = start[node.path]
            end_row = first_row + rows - 1
            if end_row > first_row:
                sheet.merge_cells(start_row=first_row, start_column=column, end_row=end_row, end_column=column)
                sheet.merge_cells(start_row=first_row, start_column=column + 1, end_row=end_row, end_column=column + 1)
    sheet.append(["合计", 100, None, None, None, None, None, float(result.total), None])
    book.save(path)


def test_seed_004_annex_layout_imports_every_score(tmp_path: Path) -> None:
    original = score_case(load_case(CASES / "seed_004.yaml"))
    path = tmp_path / "附件1.xlsx"
    write_annex_layout(original, path)
    case = import_scoring_sheet(path, project_name="永州")
    imported = score_case(case)
    assert imported.total == Decimal("82.46")
    assert [(n.path, n.weight, n.score) for n in imported.nodes] == [(n.path, n.weight, n.score) for n in original.nodes]
    assert case.stated is not None and case.stated.total == Decimal("82.46")
    assert [c for c in imported.checks if c.severity == "error"] == []


def test_export_round_trips(tmp_path: Path) -> None:
    original = score_case(load_case(CASES / "seed_000.yaml"))
    path = tmp_path / "out.xlsx"
    path.write_bytes(export_result_xlsx(original))
    book = load_workbook(path)
    assert book.sheetnames == ["评分表", "资金", "检查"]
    imported = score_case(import_scoring_sheet(path))
    assert imported.total == original.total
    assert [(n.path, n.score) for n in imported.nodes] == [(n.path, n.score) for n in original.nodes]


def test_text_in_score_column_is_located(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["一级指标", "二级指标", "三级指标", "分值", "得分", "评价说明"])
    sheet.append(["决策", "项目立项", "立项依据充分性", 2, "满分", ""])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    with pytest.raises(CaseFileError, match="第2行 得分: 应为数字"):
        import_scoring_sheet(path)


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_text("not a zip", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "jixiao", "import-xlsx", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "不是可读取的 .xlsx 文件" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_writes_case_file(tmp_path: Path) -> None:
    source = tmp_path / "in.xlsx"
    source.write_bytes(export_result_xlsx(score_case(load_case(CASES / "seed_001.yaml"))))
    out = tmp_path / "case.yaml"
    proc = subprocess.run([sys.executable, "-m", "jixiao", "import-xlsx", str(source), "-o", str(out), "--name", "朔州"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert score_case(load_case(out)).total == Decimal("81.00")
