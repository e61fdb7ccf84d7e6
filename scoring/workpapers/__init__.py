"""Working papers (评价工作底稿) in: any subset of 评分表, 问题清单, 资金明细, 基础数据, 问卷 and 项目信息, from one or more workbooks.

:func:`import_workpapers` finds each sheet's header wherever it is, reads its rows
by column synonyms (merged and blank cells, title rows, subtotal and 合计 rows),
reads each leaf's rule from its 评价标准 text, places findings on leaves, fills
funds and rule inputs, and returns the case with a record of every inference.
Nothing is half-imported: every problem in every sheet is collected, and the
case is built and validated only when there is none.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from scoring.io import CaseFileError, Problem, case_from_data
from scoring.models import Case, Funds
from scoring.workpapers.base import SHEET_KINDS, Parts, SheetKind
from scoring.workpapers.grid import Grid, find_header, squash
from scoring.workpapers.infer import Inference, Placement, fund_figures, leaf_rule, place_findings

__all__ = ["SHEET_KINDS", "ImportResult", "Inference", "Placement", "SheetKind", "import_workpapers", "read_workbooks"]

_TITLE_SUFFIX = re.compile(r"(?:项目)?(?:支出)?(?:绩效评价)?(?:指标体系)?(?:评分表|问题清单|资金明细表?|工作底稿)$")


@dataclass
class ImportResult:
    """The case and how it was made: one row per leaf, one per finding, and the notes a user should read."""

    case: Case
    inferences: list[Inference]
    placements: list[Placement]
    notes: list[str] = field(default_factory=list)
    sheets: list[tuple[str, str, str, int]] = field(default_factory=list)

    @property
    def unplaced(self) -> list[Placement]:
        return [p for p in self.placements if p.leaf is None]

    @property
    def checks(self) -> list[str]:
        """Where an inferred rule and the sheet disagree, and what could not be placed."""
        return [f"{row.path}：{row.check}" for row in self.inferences if row.check] + [
            f"问题清单{p.finding}：{p.why}" for p in self.unplaced
        ] + self.notes

    def to_data(self) -> dict[str, Any]:
        """The result as JSON-able data (the API's answer): the case, the inference rows, placements and checks."""
        from dataclasses import asdict

        from scoring.io import case_to_data

        def plain(value: Any) -> Any:
            return str(value) if isinstance(value, Decimal) else value

        return {
            "case": case_to_data(self.case),
            "inferences": [{key: plain(value) for key, value in asdict(row).items()} for row in self.inferences],
            "placements": [asdict(p) for p in self.placements],
            "unplaced": [p.finding for p in self.unplaced],
            "checks": self.checks,
            "sheets": [{"file": f, "sheet": s, "kind": k, "rows": n} for f, s, k, n in self.sheets],
            "rules_read": self.rules_read,
        }

    @property
    def rules_read(self) -> int:
        """Leaves whose rule was read from their 评价标准 wording (or a 计分规则 cell), not left to judgment."""
        return sum(1 for row in self.inferences if row.family != "judgment")


def _kind_of(grid: Grid, kinds: list[SheetKind]) -> tuple[SheetKind, Any] | None:
    for kind in kinds:
        header = find_header(grid, kind.columns)
        if header is not None and (not kind.any_of or any(role in header.columns for role in kind.any_of)):
            return kind, header
    return None


def read_workbooks(files: list[tuple[str, bytes]]) -> Parts:
    """Read every recognised sheet of every file into one :class:`Parts`; raise with every problem found."""
    parts = Parts()
    problems: list[Problem] = []
    kinds = sorted(SHEET_KINDS.values(), key=lambda kind: kind.priority)
    for name, data in files:
        try:
            book = load_workbook(io.BytesIO(data), data_only=True)
        except Exception as exc:  # openpyxl raises many types for a file that is not .xlsx
            problems.append(Problem(name, None, "", f"不是可读取的 .xlsx 文件（{type(exc).__name__}）"))
            continue
        for sheet in book.worksheets:
            grid = Grid.of(sheet, name)
            if not grid.rows:
                continue
            found = _kind_of(grid, kinds)
            if found is None:
                meant = next((kind for kind in kinds if kind.label in sheet.title), None)  # a sheet named for a kind must read as it
                if meant is not None:
                    needed = "、".join(column.words[0] for column in meant.columns if column.required)
                    problems.append(Problem(name, None, f"工作表“{sheet.title}”", f"像是{meant.label}，但前 15 行中找不到表头（须有：{needed}）"))
                else:
                    parts.notes.append(f"{name} 工作表“{sheet.title}”不是可识别的工作底稿（评分表、问题清单、资金明细、基础数据、问卷、项目信息），已跳过")
                continue
            kind, header = found
            before = len(problems)
            rows = kind.read(grid, header, parts, problems)
            parts.sheets.append((name, sheet.title, kind.label, rows))
            if rows == 0 and len(problems) == before:
                parts.notes.append(f"{name} 工作表“{sheet.title}”（{kind.label}）表头下没有数据行")
    if not problems and not parts.leaves:
        where = "、".join(name for name, _ in files)
        problems.append(Problem(where, None, "", "没有找到评分表：需要表头含“一级指标”“分值”（及“得分”“评价标准”）的一行"))
    if problems:
        raise CaseFileError(problems)
    return parts


def _project_name(parts: Parts, files: list[tuple[str, bytes]]) -> str:
    for title in parts.titles:
        name = _TITLE_SUFFIX.sub("", re.sub(r"^附件\s*\d+\s*[：:]?", "", re.sub(r"\s+", "", title)))
        if len(name) >= 4:
            return name
    return Path(files[0][0]).stem if files else "未命名项目"


def import_workpapers(files: list[tuple[str, bytes]], project_name: str | None = None) -> ImportResult:
    """The case the working papers in ``files`` ((file name, bytes) pairs) describe, with the record of its inference."""
    parts = read_workbooks(files)
    problems: list[Problem] = []
    placements = place_findings(parts.findings, parts.leaves, problems)
    if problems:
        raise CaseFileError(problems)
    funds_data: dict[str, Any] = {}
    if parts.fund_lines or parts.fund_totals:
        for key in ("budget", "received", "spent"):
            value = parts.fund_totals.get(key)
            if value is None and any(key in line for line in parts.fund_lines):
                value = sum((line.get(key) or Decimal(0) for line in parts.fund_lines), Decimal(0))
            if value is not None:
                funds_data[key] = value
        funds_data["lines"] = parts.fund_lines
        funds_data.update({key: value for key, value in parts.fund_totals.items() if key not in ("budget", "received", "spent", "paid") and value is not None})
        if "_execution_basis" in parts.project:
            funds_data["execution_basis"] = parts.project["_execution_basis"]
    figures = fund_figures(Funds.model_validate(funds_data))
    attached: dict[str, int] = {}
    for row in parts.findings:
        for key in [row.values.get("indicator"), *row.values.get("also_indicators", [])]:
            if key:
                attached[key] = attached.get(key, 0) + (0 if row.values.get("waived") else 1)
    roots: dict[str, dict[str, Any]] = {}
    inferences: list[Inference] = []
    scores: dict[str, Decimal] = {}
    for leaf in parts.leaves:
        path = "/".join(leaf.path)
        rule, inference = leaf_rule(leaf, attached.get(path, 0), parts, figures)
        inference.findings = [row.values["id"] for row in parts.findings if row.values.get("indicator") == path]
        inferences.append(inference)
        level = roots
        for depth, name in enumerate(leaf.path):
            node = level.setdefault(name, {"name": name, "children": {}})
            prefix = tuple(leaf.path[: depth + 1])
            if depth == len(leaf.path) - 1:
                node.update(weight=leaf.weight, rule=rule, **({"note": leaf.explain} if leaf.explain else {}))
            elif prefix in parts.parent_weights:
                node["weight"] = parts.parent_weights[prefix]
            level = node["children"]
        if leaf.score is not None:
            scores[path] = leaf.score
            parts.places.setdefault(path, re.sub(r"（[^（）]*）$", "", leaf.where))
    for prefix, score in parts.parent_scores.items():
        scores["/".join(prefix)] = score

    def materialise(nodes: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**{k: v for k, v in node.items() if k != "children"}, "children": materialise(node["children"])} for node in nodes.values()]

    indicators = materialise(roots)
    project = {key: value for key, value in parts.project.items() if not key.startswith("_") and value is not None}
    project.setdefault("name", project_name or _project_name(parts, files))
    if project_name:
        project["name"] = project_name
    year = re.match(r"(\d{4})年", project["name"])
    if year and "year" not in project:
        project["year"] = int(year.group(1))
    full = parts.project.get("_full_score") or parts.stated_full
    if full is None:
        full = sum((Decimal(str(node.get("weight") or 0)) for node in indicators), Decimal(0)) or sum((leaf.weight or Decimal(0) for leaf in parts.leaves), Decimal(0))
    score_sheet = next(((file, sheet) for file, sheet, label, _ in parts.sheets if label == "评分表"), ("", ""))
    data: dict[str, Any] = {
        "project": project,
        "full_score": full,
        "indicators": indicators,
        "findings": [row.values for row in parts.findings],
        "funds": funds_data,
        "stated": {
            "source": f"{score_sheet[0]} 工作表“{score_sheet[1]}”",
            "total": parts.stated_total,
            "full_score": parts.stated_full,
            "scores": scores,
            "places": {key: where for key, where in parts.places.items() if key == "total" or key in scores},
        },
    }
    if parts.grading:
        data["grading"] = {"bands": [{"name": name, "min": low} for name, low in parts.grading]}
    case = case_from_data(data, source="、".join(name for name, _ in files))
    return ImportResult(case, inferences, placements, parts.notes, parts.sheets)
