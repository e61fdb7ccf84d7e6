"""Test fixture: a working-paper workbook laid out like seed 004's 附件1 + 附件2, built from the seed at run time.

附件1's rows come from the checker's table reader; 附件2's from the seed text,
where a line opening with a space and a TAB starts a new row whose leading
cells are empty (the merged 项目单位/项目/项目分类/问题定性 cells of the real table).
The workbook has a title row above each header and merged cells down the
level columns and the unit/project columns, as an evaluator's workbook has.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from checker.document import load_report

FINDING_HEADER = ["序号", "项目单位", "项目", "项目分类", "问题定性", "具体问题", "问题描述"]


def annex2_rows(seed: Path) -> list[list[str]]:
    """附件2 rows of 7 cells (blank where the printed table has a merged cell), in order."""
    lines = seed.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if "附件2" in line)
    header = next(i for i in range(start, len(lines)) if lines[i].strip() == "序号")
    rows: list[list[str]] = []
    current: list[str] = []
    for line in lines[header + len(FINDING_HEADER):]:
        if not line.strip() and not line.startswith("\t"):
            if current:
                rows.append(current)
            current = []
        elif line.startswith(" \t"):
            if current:
                rows.append(current)
            current = [line[2:].strip()]
        elif line.startswith("\t"):
            current.append(line[1:].strip())
        elif current:
            current[-1] += "\n" + line.strip()
    if current:
        rows.append(current)
    return [[""] * (7 - len(row)) + row for row in rows if any(row)]


def _merge_down(sheet: Worksheet, column: int, first: int, last: int) -> None:
    """Merge runs of a column where the cells below a value are blank (as the printed table merges them)."""
    run_start = first
    for r in range(first + 1, last + 2):
        if r > last or sheet.cell(r, column).value not in (None, ""):
            if r - 1 > run_start:
                sheet.merge_cells(start_row=run_start, start_column=column, end_row=r - 1, end_column=column)
            run_start = r


def build_seed_004_workbook(seed: Path, path: Path, with_findings: bool = True) -> Path:
    doc = load_report(seed)
    annex1 = next(table for table in doc.tables if table.rows[0].cells[:2] == ["一级指标", "分值"])
    book = Workbook()
    sheet = book.active
    sheet.title = "附件1 评分表"
    sheet.append(["2023年永州市公共服务信息化运维项目绩效评价指标体系评分表"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=10)
    for row in annex1.rows:
        cells = row.cells + [""] * (10 - len(row.cells))
        if cells[0] == "合计":  # the printed 合计 row: 合计 | 100 | 100 | | | 82.46
            cells = ["合计", cells[1], None, None, None, cells[2], None, None, cells[5], None]
        sheet.append([_value(cell) for cell in cells[:10]])
    last = sheet.max_row - 1
    for column in (1, 2, 3, 4):
        _merge_down(sheet, column, 3, last)
    if with_findings:
        problems = book.create_sheet("附件2 问题清单")
        problems.append(["2023年永州市公共服务信息化运维项目问题清单"])
        problems.merge_cells(start_row=1, start_column=1, end_row=1, end_column=7)
        problems.append(FINDING_HEADER)
        rows = annex2_rows(seed)
        for number, row in enumerate(rows, start=1):  # the text export printed only some 序号; the table has them all
            problems.append([number, *row[1:]])
        for column in (2, 3, 4, 5):
            _merge_down(problems, column, 3, problems.max_row)
        for r, row in enumerate(rows, start=3):
            if not row[4] and not row[5]:  # a row continuing the 定性 and 具体问题 above (both merged in the table)
                problems.merge_cells(start_row=r - 1, start_column=6, end_row=r, end_column=6)
    book.save(path)
    return path


def _value(cell: str | None) -> object:
    if cell is None or cell == "":
        return None
    try:
        number = float(cell)
    except ValueError:
        return cell
    return int(number) if number.is_integer() else number
