"""Excel in and out: import a 评分表 sheet as a case, export a scoring result as a workbook."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from scoring.io import CaseFileError, Problem
from scoring.models import PATH_SEPARATOR, Case, Indicator, Project, Stated
from scoring.numbers import to_decimal
from scoring.results import ScoreResult

_LEVEL_PATTERN = re.compile(r"^(一|二|三|四|五)级")
_LEVELS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_NUMBER_NOISE = re.compile(r"[\s,，分]")


@dataclass
class _Columns:
    levels: list[int] = field(default_factory=list)  # column index of each level's name
    level_weights: dict[int, int] = field(default_factory=dict)  # level → its 分值 column
    score: int | None = None
    reason: int | None = None
    notes: list[int] = field(default_factory=list)


def _header_columns(row: tuple[Any, ...]) -> _Columns | None:
    columns = _Columns()
    last_level: int | None = None
    for i, cell in enumerate(row):
        text = re.sub(r"\s+", "", str(cell or ""))
        level = _LEVEL_PATTERN.match(text)
        if level:
            last_level = _LEVELS[level.group(1)]
            columns.levels.append(i)
        elif text in ("分值", "权重", "分值（分）", "权重（分）", "标准分"):
            # A 分值 column belongs to the level column before it (004's 附件1 has one per level).
            key = last_level if last_level is not None else 0
            columns.level_weights.setdefault(key, i)
        elif text in ("得分", "评价得分", "实际得分", "自评分"):
            columns.score = i
        elif text in ("评价说明", "扣分说明", "扣分理由", "评分说明", "说明", "备注"):
            columns.reason = columns.reason if columns.reason is not None else i
        elif text in ("指标解释", "评价标准", "评分标准", "指标说明"):
            columns.notes.append(i)
    if len(columns.levels) >= 1 and columns.level_weights and columns.score is not None:
        return columns
    return None


def _number(value: Any, where: str, label: str, source: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return to_decimal(value)
    text = _NUMBER_NOISE.sub("", str(value)).split("\n")[0]
    try:
        return to_decimal(text.rstrip("%％"))
    except ValueError:
        raise CaseFileError([Problem(source, None, f"{where} {label}", f"应为数字（实际为 {value!r}）")]) from None


def _merged_values(sheet: Worksheet) -> dict[tuple[int, int], Any]:
    """Value of every cell covered by a merged range (openpyxl keeps it only in the top-left)."""
    values: dict[tuple[int, int], Any] = {}
    for merged in sheet.merged_cells.ranges:
        top_left = sheet.cell(merged.min_row, merged.min_col).value
        for row in range(merged.min_row, merged.max_row + 1):
            for col in range(merged.min_col, merged.max_col + 1):
                values[(row, col)] = top_left
    return values


def import_scoring_sheet(path: str | Path, sheet_name: str | None = None, project_name: str | None = None) -> Case:
    """Turn a 评分表 (columns 一级/二级/三级指标, 分值, 得分, 评价说明) into a case.

    Every leaf becomes a ``judgment`` rule whose deduction is 分值 − 得分 and
    whose reason is the 评价说明; the sheet's scores also go to ``stated`` so
    that later edits to the rules show up as differences from the sheet.
    """
    path = Path(path)
    source = str(path)
    try:
        workbook = load_workbook(path, data_only=True, read_only=False)
    except FileNotFoundError:
        raise CaseFileError([Problem(source, None, "", "文件不存在")]) from None
    except Exception as exc:  # openpyxl raises many types for a non-xlsx file
        raise CaseFileError([Problem(source, None, "", f"不是可读取的 .xlsx 文件（{type(exc).__name__}）")]) from None
    if sheet_name is not None and sheet_name not in workbook.sheetnames:
        raise CaseFileError([Problem(source, None, "", f"没有名为“{sheet_name}”的工作表（有：{'、'.join(workbook.sheetnames)}）")])
    sheets = [workbook[sheet_name]] if sheet_name else workbook.worksheets
    for sheet in sheets:
        case = _import_sheet(sheet, source, project_name or path.stem)
        if case is not None:
            return case
    raise CaseFileError([Problem(source, None, "", "找不到评分表：需要表头含“一级指标”“分值”“得分”的一行")])


def _import_sheet(sheet: Worksheet, source: str, project_name: str) -> Case | None:
    merged = _merged_values(sheet)
    rows = [
        tuple(merged.get((r, c), sheet.cell(r, c).value) for c in range(1, sheet.max_column + 1))
        for r in range(1, sheet.max_row + 1)
    ]
    header_at, columns = next(((i, cols) for i, row in enumerate(rows) if (cols := _header_columns(row))), (None, None))
    if header_at is None or columns is None:
        return None
    deepest = max(_levels_present(columns), default=1)
    leaf_weight_col = columns.level_weights.get(deepest, columns.level_weights.get(0, next(iter(columns.level_weights.values()))))
    carried: list[str | None] = [None] * len(columns.levels)
    rows_read: list[tuple[list[str], Decimal | None, Decimal | None, str | None, str | None, str]] = []
    parent_weights: dict[tuple[str, ...], Decimal] = {}
    parent_scores: dict[tuple[str, ...], Decimal] = {}
    stated_total: Decimal | None = None
    stated_full: Decimal | None = None
    for offset, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        where = f"{sheet.title}!第{offset}行"
        names = [str(row[col]).strip() if row[col] not in (None, "") else None for col in columns.levels]
        first = next((name for name in names if name), "")
        if re.sub(r"\s+", "", first) in ("合计", "总计", "总分"):
            stated_total = _number(row[columns.score], where, "得分", source)
            stated_full = _number(row[leaf_weight_col], where, "分值", source)
            break
        if not any(names) and row[leaf_weight_col] in (None, ""):
            continue
        for i, name in enumerate(names):
            # A blank or merged cell repeats the level above; a new name resets the deeper levels.
            if name is not None and name != carried[i]:
                carried[i] = name
                carried[i + 1 :] = [None] * (len(carried) - i - 1)
        chain = [name for name in carried if name]
        if not chain:
            continue
        weight = _number(row[leaf_weight_col], where, "分值", source)
        score = _number(row[columns.score], where, "得分", source)
        for level, col in columns.level_weights.items():
            if level and level < deepest and len(chain) > level and row[col] not in (None, ""):
                value = _number(row[col], where, "分值", source)
                if value is not None:
                    parent_weights.setdefault(tuple(chain[:level]), value)
        reason = str(row[columns.reason]).strip() if columns.reason is not None and row[columns.reason] else None
        note = "；".join(str(row[c]).strip() for c in columns.notes if row[c]) or None
        rows_read.append((chain, weight, score, reason, note, where))
    # A row whose indicator has deeper rows below it is a subtotal row (an exported 评分表 has them).
    prefixes = {tuple(chain[:i]) for chain, *_ in rows_read for i in range(1, len(chain))}
    leaves = []
    for chain, weight, score, reason, note, where in rows_read:
        if tuple(chain) in prefixes:
            if weight is not None:
                parent_weights.setdefault(tuple(chain), weight)
            if score is not None:
                parent_scores[tuple(chain)] = score
            continue
        if weight is None:
            raise CaseFileError([Problem(source, None, f"{where} 分值", "末级指标缺少分值")])
        if score is None:
            raise CaseFileError([Problem(source, None, f"{where} 得分", "末级指标缺少得分")])
        leaves.append((chain, weight, score, reason, note, where))
    if not leaves:
        return None
    stated = Stated(source=f"{source} {sheet.title}", total=stated_total, full_score=stated_full)
    return _build_case(leaves, parent_weights, parent_scores, stated, project_name)


def _levels_present(columns: _Columns) -> list[int]:
    return [level for level in columns.level_weights if level]


def _build_case(
    leaves: list[tuple[list[str], Decimal, Decimal, str | None, str | None, str]],
    parent_weights: dict[tuple[str, ...], Decimal],
    parent_scores: dict[tuple[str, ...], Decimal],
    stated: Stated,
    project_name: str,
) -> Case:
    roots: dict[str, dict[str, Any]] = {}
    stated_scores: dict[str, Decimal] = {}
    for chain, weight, score, reason, note, _row in leaves:
        level = roots
        for depth, name in enumerate(chain):
            node = level.setdefault(name, {"name": name, "children": {}})
            if depth == len(chain) - 1:
                deduction = max(weight - score, Decimal(0))
                node["weight"] = weight
                node["rule"] = {
                    "type": "judgment",
                    "deduction": deduction,
                    **({"reason": reason or "（评分表未写明扣分理由）"} if deduction else {}),
                }
                if note:
                    node["note"] = note
            else:
                prefix = tuple(chain[: depth + 1])
                if prefix in parent_weights:
                    node["weight"] = parent_weights[prefix]
            level = node["children"]
        stated_scores[PATH_SEPARATOR.join(chain)] = score
    for chain_key, score in parent_scores.items():
        stated_scores[PATH_SEPARATOR.join(chain_key)] = score

    def materialise(nodes: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**{k: v for k, v in node.items() if k != "children"}, "children": materialise(node["children"])} for node in nodes.values()]

    indicators = [Indicator.model_validate(node) for node in materialise(roots)]
    full_score = sum((leaf[1] for leaf in leaves), Decimal(0))
    return Case(
        project=Project(name=project_name),
        full_score=full_score,
        indicators=indicators,
        stated=stated.model_copy(update={"scores": stated_scores}),
    )


def export_result_xlsx(result: ScoreResult) -> bytes:
    """A workbook with the score table (one column per level), fund metrics and checks."""
    workbook = Workbook()
    table = workbook.active
    table.title = "评分表"
    depth = max(node.level for node in result.nodes)
    level_names = ["一级指标", "二级指标", "三级指标", "四级指标", "五级指标", "六级指标"]
    header = [*level_names[:depth], "分值", "得分", "得分率（%）", "计算过程", "扣分理由"]
    table.append(header)
    bold = Font(bold=True)
    for node in result.nodes:
        cells: list[Any] = [None] * depth
        cells[node.level - 1] = node.name
        table.append([*cells, float(node.weight), float(node.score), float(node.rate) if node.rate is not None else None, node.audit, node.reason])
        if not node.is_leaf:
            for cell in table[table.max_row]:
                cell.font = bold
    table.append([*(["合计"] + [None] * (depth - 1)), float(result.full_score), float(result.total), float(result.rate), f"等级：{result.grade}", None])
    for cell in table[table.max_row]:
        cell.font = bold
    _style_sheet(table, [14] * depth + [8, 8, 11, 60, 40])

    funds = workbook.create_sheet("资金")
    funds.append(["项目", "数值", "单位", "计算方法"])
    for metric in result.funds:
        funds.append([metric.label, float(metric.value) if metric.value is not None else None, metric.unit, metric.formula])
    _style_sheet(funds, [22, 14, 8, 40])

    checks = workbook.create_sheet("检查")
    checks.append(["严重程度", "类别", "位置", "说明", "报告所写", "重算"])
    severity_names = {"error": "错误", "warning": "提醒", "info": "说明"}
    fill = PatternFill("solid", fgColor="FDE2E1")
    for check in result.checks:
        checks.append([severity_names[check.severity], check.kind, check.place, check.message, _cell(check.stated), _cell(check.computed)])
        if check.severity == "error":
            for cell in checks[checks.max_row]:
                cell.fill = fill
    _style_sheet(checks, [10, 22, 30, 80, 12, 12])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value: Decimal | str | None) -> float | str | None:
    return float(value) if isinstance(value, Decimal) else value


def _style_sheet(sheet: Worksheet, widths: list[int]) -> None:
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
