"""A case (and its scoring) back to the working-paper layout the importer reads: nothing lost on the way round.

Sheets: 项目信息, 评分表 (a title row, one row per leaf with its levels merged
down, a 计分规则 column holding the rule exactly, a 合计 row), 问题清单 (with
the 对应指标 column), 资金明细 (with its 合计 row). Importing the workbook
gives the same case: the 计分规则 cell is read before the 评价标准 wording.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from scoring.engine import score_case
from scoring.io import case_to_data
from scoring.models import Case, Indicator
from scoring.results import ScoreResult
from scoring.workpapers.infer import UNPLACED
from scoring.workpapers.kinds.project import FIELDS, FUND_FIELDS, KINDS

LEVELS = ("一级指标", "二级指标", "三级指标", "四级指标")
FINDING_COLUMNS = (
    ("序号", "id"), ("项目单位", "unit"), ("项目", "project"), ("项目分类", "category"), ("问题定性", "nature"),
    ("具体问题", "issue"), ("问题描述", "description"), ("原因", "cause"), ("涉及金额", "amount"), ("整改建议", "suggestion"),
    ("佐证材料", "evidence"), ("对应指标", "indicator"), ("同时扣分指标", "also_indicators"), ("严重程度", "severity"), ("未扣分理由", "waived"),
)
FUND_COLUMNS = (("指标金额", "budget"), ("到位金额", "received"), ("支付金额", "spent"), ("合同金额", "contract_amount"), ("合同已支付", "paid"))
#: Header comments of the 评分表: what each column means (shown when the mouse rests on the header).
HEADER_NOTES = {
    "分值": "本级指标的分值（权重）。",
    "指标解释": "指标的含义（可不填）。",
    "评价标准": "评分规则原文，如“每发现一例扣0.2分，扣完为止”“得分=预算执行率×分值”“满意度100%得满分，否则按比例得分”。"
    "导入时读作规则；只列评价要点的，按评价人酌情扣分处理。",
    "计分规则": "机读的规则（由 jixiao 导出时写入）。有此列时导入按它计分；手工填写时可留空。",
    "得分": "评价人给出的得分。规则算出的得分与此不符时，导入以此为准并列为“需核对”。",
    "评价说明": "得分的理由；扣分的写明扣分原因与例数（如“共13例，扣2.6分”）。",
}


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _rule_cell(rule: Any) -> str:
    data = {key: value for key, value in json.loads(rule.model_dump_json(exclude_none=True, exclude_defaults=True)).items() if key != "text"}
    data["type"] = rule.type
    return json.dumps(data, ensure_ascii=False)


def _leaves(nodes: list[Indicator], chain: tuple[Indicator, ...] = ()) -> list[tuple[Indicator, ...]]:
    found: list[tuple[Indicator, ...]] = []
    for node in nodes:
        found.extend(_leaves(node.children, (*chain, node)) if node.children else [(*chain, node)])
    return found


def _header(sheet: Worksheet, header: list[str], widths: list[int], notes: dict[str, str] | None = None) -> None:
    sheet.append(header)
    row = sheet.max_row
    for i, (title, width) in enumerate(zip(header, widths), start=1):
        cell = sheet.cell(row, i)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(i)].width = width
        note = (notes or {}).get(title) or (notes or {}).get(title[-2:] if title.endswith("指标") else "")
        if note:
            cell.comment = Comment(note, "jixiao")


def _wrap(sheet: Worksheet, first: int) -> None:
    for row in sheet.iter_rows(min_row=first):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def project_sheet(book: Workbook, case: Case) -> None:
    sheet = book.active
    sheet.title = "项目信息"
    _header(sheet, ["项目信息", "内容"], [16, 60])
    kinds = {value: label for label, value in KINDS.items()}
    for label, key in FIELDS.items():
        value = getattr(case.project, key)
        if value is not None:
            sheet.append([label, kinds.get(value, value) if key == "evaluation_kind" else value])
    for label, key in FUND_FIELDS.items():
        value = getattr(case.funds, key)
        if value is not None:
            sheet.append([label, _number(value)])
    if case.funds.execution_basis != "received":
        sheet.append(["预算执行率分母", "全年预算"])
    sheet.append(["满分", _number(case.full_score)])
    sheet.append(["等级划分", "；".join(f"{band.name}：{_number(band.min)}" for band in case.grading.bands)])


def score_sheet(book: Workbook, case: Case, result: ScoreResult | None) -> None:
    sheet = book.create_sheet("评分表")
    leaves = _leaves(case.indicators)
    depth = max((len(chain) for chain in leaves), default=1)
    nodes = {node.path: node for node in (result.nodes if result else [])}
    header: list[str] = []
    for level in LEVELS[:depth]:
        header += [level, "分值"]
    header += ["指标解释", "评价标准", "计分规则", "得分", "评价说明"]
    sheet.append([f"{case.project.name}绩效评价指标体系评分表"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    _header(sheet, header, [12, 6] * depth + [30, 36, 18, 7, 48], HEADER_NOTES)
    first = sheet.max_row + 1
    for chain in leaves:
        leaf = chain[-1]
        row: list[Any] = []
        for i in range(depth):
            node = chain[i] if i < len(chain) else None
            path = "/".join(n.name for n in chain[: i + 1])
            weight = nodes[path].weight if path in nodes else (node.weight if node else None)
            row += [node.name if node else None, _number(weight) if node else None]
        computed = nodes.get("/".join(n.name for n in chain))
        rule = leaf.rule if result is not None or (leaf.rule is not None and leaf.rule.type != "judgment") else None
        reason = getattr(rule, "reason", None) or (computed.reason if computed else None)
        note = reason or (computed.audit if computed and rule is not None and rule.type != "judgment" else None)
        row += [leaf.note, rule.text if rule is not None else None, _rule_cell(rule) if rule is not None else None,
                _number(computed.score) if computed else None, note]
        sheet.append(row)
    last = sheet.max_row
    for parent_level in range(depth - 1):  # merge each parent level down its rows, as 附件1 prints it
        name_col = 2 * parent_level + 1
        start = first
        for r in range(first + 1, last + 2):
            if r > last or _parent_key(sheet, r, name_col) != _parent_key(sheet, start, name_col):
                if r - 1 > start and sheet.cell(start, name_col).value is not None:
                    for column in (name_col, name_col + 1):
                        sheet.merge_cells(start_row=start, start_column=column, end_row=r - 1, end_column=column)
                start = r
    total: list[Any] = [None] * len(header)
    total[0], total[1] = "合计", _number(result.full_score if result else case.full_score)
    total[header.index("得分")] = _number(result.total) if result else None
    sheet.append(total)
    sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    _wrap(sheet, first)
    sheet.freeze_panes = sheet.cell(first, 1)


def _parent_key(sheet: Worksheet, row: int, name_col: int) -> tuple[Any, ...]:
    """The level names down to ``name_col``: a run merges only under one parent."""
    return tuple(sheet.cell(row, c).value for c in range(1, name_col + 1, 2))


def findings_sheet(book: Workbook, case: Case) -> None:
    sheet = book.create_sheet("问题清单")
    sheet.append([f"{case.project.name}问题清单"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(FINDING_COLUMNS))
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    _header(sheet, [label for label, _ in FINDING_COLUMNS], [6, 18, 22, 10, 16, 22, 50, 30, 9, 30, 16, 28, 20, 9, 20])
    for finding in case.findings:
        data = finding.model_dump()
        row = []
        for _, key in FINDING_COLUMNS:
            value = data.get(key)
            if key == "also_indicators":
                value = "、".join(value or []) or None
            elif key == "indicator" and value is None:
                value = UNPLACED  # kept unplaced on the way back, not matched anew
            row.append(_number(value) if isinstance(value, Decimal) else value)
        sheet.append(row)
    _wrap(sheet, 3)


def funds_sheet(book: Workbook, case: Case) -> None:
    funds = case.funds
    if not funds.lines and funds.budget is None and funds.received is None and funds.spent is None:
        return
    sheet = book.create_sheet("资金明细")
    sheet.append(["资金明细表（万元）"])
    _header(sheet, ["序号", "项目名称", *[label for label, _ in FUND_COLUMNS], "结余"], [6, 36, 12, 12, 12, 12, 12, 12])
    for i, line in enumerate(funds.lines, start=1):
        balance = (line.received - line.spent) if line.received is not None and line.spent is not None else None
        sheet.append([i, line.name, *[_number(getattr(line, key)) for _, key in FUND_COLUMNS], _number(balance)])
    balance = (funds.received - funds.spent) if funds.received is not None and funds.spent is not None else None
    sheet.append(["合计", None, _number(funds.budget), _number(funds.received), _number(funds.spent), None, None, _number(balance)])


def template_workbook(name: str = "（项目名称）") -> bytes:
    """An empty workbook in the layout: the national common framework pre-filled, no scores, no findings, no funds."""
    from scoring.framework import framework_indicators
    from scoring.models import Project

    case = Case(project=Project(name=name), indicators=framework_indicators())
    book = Workbook()
    project_sheet(book, case)
    score_sheet(book, case, None)
    findings_sheet(book, case)
    sheet = book.create_sheet("资金明细")
    sheet.append(["资金明细表（万元）"])
    _header(sheet, ["序号", "项目名称", *[label for label, _ in FUND_COLUMNS], "结余"], [6, 36, 12, 12, 12, 12, 12, 12])
    sheet.append(["合计"])
    targets = book.create_sheet("基础数据")
    _header(targets, ["指标", "目标值", "实际完成值", "单位"], [24, 12, 12, 8])
    survey = book.create_sheet("问卷")
    _header(survey, ["调查对象", "样本数", "满意度"], [24, 10, 10])
    survey.append(["整体"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_workbook(case: Case, result: ScoreResult | None = None) -> bytes:
    """The case as working papers (项目信息, 评分表, 问题清单, 资金明细), scored unless ``result`` is given."""
    if result is None:
        result = score_case(case)
    book = Workbook()
    project_sheet(book, case)
    score_sheet(book, case, result)
    findings_sheet(book, case)
    funds_sheet(book, case)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def case_data(case: Case) -> dict[str, Any]:
    """The case as data, for comparing two cases regardless of where they were read from."""
    data = case_to_data(case)
    if data.get("stated"):
        data["stated"].pop("source", None)
        data["stated"].pop("places", None)
    return data
