"""Scoring tables and figure tables, read from the report's table rows.

Layouts seen in the seeds and the corpus: one cell per line (000, 004), TAB
separated rows (001, 003), Markdown rows, .docx tables. Rows are matched to
the header by position when they have as many cells as the header; otherwise
(003's shifted rows) the value columns are aligned from the right and the
indicator names fill the deepest levels. A blank level cell inherits the name
above (merged cells).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from checker.document import ReportDoc, Segment, squash
from checker.findings import Place
from scoring.numparse import ParsedNumber, find_numbers

TOTAL_LABELS = ("合计", "总计", "总分", "综合绩效", "综合得分", "总得分", "得分合计")
SUBTOTAL_LABELS = ("小计",)

_LEVEL_WORDS = {"一级": 1, "二级": 2, "三级": 3, "四级": 4}
_GENERIC_LEVEL = ("指标名称", "评价指标", "绩效指标", "指标")
_WEIGHT_WORDS = ("分值", "权重", "满分", "标准分")
_SCORE_WORDS = ("得分", "自评分", "评分")
_RATE_WORDS = ("得分率", "分值占比", "得分比例", "评价分值占比")
_TARGET_WORDS = ("目标值", "年度目标", "指标值")
_ACTUAL_WORDS = ("实际完成值", "实际值", "完成值", "实际完成")
_CRITERIA_WORDS = ("评价标准", "评分标准", "指标解释", "评分规则")
_NOTE_WORDS = ("评价说明", "扣分原因", "评分说明", "得分说明", "扣分理由", "备注", "说明")
# First match wins, so 得分率 is read as a rate before 得分 could read it as a score.
_COLUMN_ROLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("rate", _RATE_WORDS),
    ("weight", _WEIGHT_WORDS),
    ("score", _SCORE_WORDS),
    ("target", _TARGET_WORDS),
    ("actual", _ACTUAL_WORDS),
    ("criteria", _CRITERIA_WORDS),
    ("note", _NOTE_WORDS),
)
_NUMBERING = re.compile(r"^\s*(?:[（(]?\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[）)]|\d{1,2}\s*[.．、](?!\d)|[一二三四五六七八九十]{1,3}\s*、)\s*")
_WEIGHT_SUFFIX = re.compile(r"[（(]\s*([0-9.]+)\s*分?\s*[）)]\s*$")
_ROOT_WEIGHT = re.compile(r"^[（(]\s*([0-9.]+)\s*分\s*[）)]$")


def clean_name(cell: str) -> tuple[str, Decimal | None]:
    """An indicator name without numbering, spaces and a trailing weight: ``决策（18）`` → (``决策``, 18)."""
    name = squash(cell)
    name = _NUMBERING.sub("", name)
    weight = None
    match = _WEIGHT_SUFFIX.search(name)
    if match:
        number = single_number(match.group(1))
        if number is not None:
            weight = number.value
            name = name[: match.start()]
    return name.strip("：:"), weight


def single_number(cell: str) -> ParsedNumber | None:
    """The one quantity a value cell holds (``12.5``, ``83.33%``, ``=93%``, ``3,355.29``), else ``None``."""
    text = cell.strip()
    if not text or len(text) > 24:
        return None
    numbers = [n for n in find_numbers(text) if n.role == "quantity"]
    if len(numbers) != 1:
        return None
    rest = (text[: numbers[0].start] + text[numbers[0].end:]).strip(" =≥≤<>＝%％（）()分万元个项台份点种")
    return numbers[0] if not re.search(r"[\u4e00-\u9fff]", rest) else None


def cell_value(cell: str) -> Decimal | None:
    number = single_number(cell)
    return number.value if number is not None else None


# ── scoring tables ───────────────────────────────────────────────────────────


@dataclass
class Column:
    index: int
    role: str  # level | root | weight | score | rate | target | actual | criteria | note
    level: int = 0


@dataclass
class Row:
    """One indicator row of a scoring table."""

    names: dict[int, str]  # level → name given in this row (after inheritance: the full path)
    level_weights: dict[int, Decimal]  # weights written for intermediate levels (in the name or a 分值 column)
    weight: Decimal | None
    score: Decimal | None
    rate: Decimal | None
    target: str | None
    actual: str | None
    criteria: str
    note: str
    place: Place
    segment: Segment

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self.names[level] for level in sorted(self.names))

    @property
    def level(self) -> int:
        return max(self.names) if self.names else 0


@dataclass
class Summary:
    """A 合计 (or 小计) row: stated full score, total score and rate."""

    weight: Decimal | None
    score: Decimal | None
    rate: Decimal | None
    place: Place
    parent: tuple[str, ...] = ()  # () for 合计; the level-1 path for 小计


@dataclass
class ScoringTable:
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    totals: list[Summary] = field(default_factory=list)
    subtotals: list[Summary] = field(default_factory=list)
    root_weight: Decimal | None = None  # 003's "(80分)" in its 项目 column
    root_place: Place | None = None
    top_level: int = 1

    @property
    def leaf_rows(self) -> list[Row]:
        paths = [row.path for row in self.rows]
        return [row for row in self.rows if not any(other[: len(row.path)] == row.path and len(other) > len(row.path) for other in paths)]


def _role(cell: str) -> tuple[str, int] | None:
    key = squash(cell)
    if not key or len(key) > 14:
        return None
    for word, level in _LEVEL_WORDS.items():
        if key.startswith(word):
            return "level", level
    for role, words in _COLUMN_ROLES:
        if any(word in key for word in words):
            return role, 0
    if key in ("类别", "指标类别", "一级指标类别"):
        return "level", 1
    if key in _GENERIC_LEVEL or key.endswith("指标名称"):
        return "level", -1
    if key == "项目":
        return "root", 0
    return None


def parse_header(cells: list[str]) -> list[Column] | None:
    """Columns of a scoring-table header, or ``None`` if ``cells`` is not one."""
    columns: list[Column] = []
    for i, cell in enumerate(cells):
        role = _role(cell)
        if role is None:
            if squash(cell) in ("序号", ""):
                continue
            continue
        columns.append(Column(i, role[0], role[1]))
    roles = [column.role for column in columns]
    if "level" not in roles or "weight" not in roles and "score" not in roles:
        return None
    levels = [column for column in columns if column.role == "level"]
    explicit = [column.level for column in levels if column.level > 0]
    for column in levels:  # 指标名称 after 类别 is the next level; alone it is level 1
        if column.level < 0:
            column.level = (max(explicit) + 1) if explicit else 1
            explicit.append(column.level)
    if "root" in roles and len(levels) < 1:
        return None
    return columns


def _is_label(cells: list[str], labels: tuple[str, ...]) -> bool:
    first = next((squash(cell) for cell in cells if cell.strip()), "")
    return first in labels


def read_scoring_tables(doc: ReportDoc) -> list[ScoringTable]:
    """Every scoring table in the report (a header row with indicator and 分值/得分 columns, then its rows)."""
    tables: list[ScoringTable] = []
    for table in doc.tables:
        current: ScoringTable | None = None
        state: dict[int, str] = {}
        for segment in table.rows:
            header = parse_header(segment.cells)
            if header is not None:
                current = ScoringTable(header, top_level=min(c.level for c in header if c.role == "level"))
                tables.append(current)
                state = {}
                continue
            if current is not None:
                _read_row(doc, current, segment, state)
    return [table for table in tables if table.rows or table.totals]


def _numbers_in(cells: list[str]) -> list[ParsedNumber]:
    return [number for number in (single_number(cell) for cell in cells) if number is not None]


def _read_row(doc: ReportDoc, table: ScoringTable, segment: Segment, state: dict[int, str]) -> None:
    cells = list(segment.cells)
    while cells and not cells[-1].strip():
        cells.pop()
    columns = table.columns
    width = max(column.index for column in columns) + 1
    place = doc.place(segment)
    if _is_label(cells, TOTAL_LABELS) or _is_label(cells, SUBTOTAL_LABELS):
        summary = _summary_row(table, cells, width, place)
        if _is_label(cells, SUBTOTAL_LABELS):
            top = table.top_level
            if top in state:
                summary.parent = (state[top],)
                table.subtotals.append(summary)
        else:
            table.totals.append(summary)
        return
    by_column = _align(columns, cells, width)
    if by_column is None:
        return
    values = {column.role: by_column.get(column.index, "") for column in columns if column.role not in ("level", "root", "weight")}
    weight_columns = [column for column in columns if column.role == "weight"]
    level_columns = [column for column in columns if column.role == "level"]
    deepest = max(column.level for column in level_columns)
    # The weight column of a row is the one after its deepest level column (004's 附件1 has one per level).
    main_weight = weight_columns[-1] if weight_columns else None
    level_weight_columns: dict[int, Column] = {}
    for column in weight_columns:
        owner = max((c for c in level_columns if c.index < column.index), key=lambda c: c.index, default=None)
        if owner is not None and owner.level < deepest:
            level_weight_columns[owner.level] = column
    given: dict[int, str] = {}
    level_weights: dict[int, Decimal] = {}
    names_in_row = by_column.get("names")
    if names_in_row is not None:  # shifted row: names fill the deepest levels
        levels = sorted(column.level for column in level_columns)
        shifted = [name for name in names_in_row if name]
        for level, cell in zip(levels[len(levels) - len(shifted):] if len(shifted) <= len(levels) else levels, shifted[-len(levels):]):
            given[level] = cell
    else:
        for column in level_columns:
            cell = by_column.get(column.index, "")
            if cell.strip():
                given[column.level] = cell
        root = next((column for column in columns if column.role == "root"), None)
        if root is not None:
            match = _ROOT_WEIGHT.match(squash(by_column.get(root.index, "")))
            if match:
                table.root_weight, table.root_place = cell_value(match.group(1)), place
    for level, cell in list(given.items()):
        name, weight = clean_name(cell)
        if not name:
            del given[level]
            continue
        given[level] = name
        if weight is not None:
            level_weights[level] = weight
    for level, column in level_weight_columns.items():
        value = cell_value(by_column.get(column.index, ""))
        if value is not None and level in given:
            level_weights[level] = value
    weight = cell_value(by_column.get(main_weight.index, "")) if main_weight else None
    score = cell_value(values.get("score", ""))
    rate_number = single_number(values.get("rate", ""))
    if not given:
        return
    for level in given:
        for deeper in [key for key in state if key >= level]:
            del state[deeper]
    state.update(given)
    names = {level: state[level] for level in sorted(state)}
    own_level = max(given)
    names = {level: name for level, name in names.items() if level <= own_level}
    if weight is None and score is None:
        if level_weights:  # a row that only names a group with its weight
            table.rows.append(Row(names, level_weights, None, None, None, None, None, "", "", place, segment))
        return
    table.rows.append(
        Row(
            names=names,
            level_weights=level_weights,
            weight=weight,
            score=score,
            rate=rate_number.value if rate_number is not None else None,
            target=values.get("target") or None,
            actual=values.get("actual") or None,
            criteria=values.get("criteria", ""),
            note=values.get("note", ""),
            place=place,
            segment=segment,
        )
    )


def _align(columns: list[Column], cells: list[str], width: int) -> dict | None:
    """Map cells to column indexes; a row that is not as wide as the header is aligned from the right."""
    if len(cells) == width or (len(cells) < width and _fits_left(columns, cells)):
        return {i: cell for i, cell in enumerate(cells)}
    level_columns = [column for column in columns if column.role in ("level", "root")]
    first_value = max(column.index for column in level_columns) + 1
    value_width = width - first_value
    if len(cells) <= value_width:
        return None
    offset = width - len(cells)
    mapped: dict = {i + offset: cell for i, cell in enumerate(cells) if i + offset >= first_value}
    mapped["names"] = [squash(cell) and cell for cell in cells[: len(cells) - value_width]]
    return mapped


def _fits_left(columns: list[Column], cells: list[str]) -> bool:
    """A short row read from the left: its weight/score cells exist and are numeric, its name cells are not."""
    for column in columns:
        if column.role in ("weight", "score"):
            if column.index >= len(cells):
                return False
            if cells[column.index].strip() and cell_value(cells[column.index]) is None:
                return False
        if column.role == "level" and column.index < len(cells) and cell_value(cells[column.index]) is not None:
            return False
    return True


def _summary_row(table: ScoringTable, cells: list[str], width: int, place: Place) -> Summary:
    columns = {column.role: column.index for column in table.columns if column.role in ("weight", "score", "rate")}
    numbers = _numbers_in(cells)
    percents = [n for n in numbers if n.unit in ("%", "％")]
    plain = [n for n in numbers if n.unit not in ("%", "％")]
    if len(cells) == width:
        weight = cell_value(cells[columns["weight"]]) if "weight" in columns else None
        if "weight" in columns and weight is None and plain and "score" not in columns:
            weight = plain[0].value
        score = cell_value(cells[columns["score"]]) if "score" in columns else None
        rate = cell_value(cells[columns["rate"]]) if "rate" in columns else None
        if weight is None and score is None and len(plain) == 1:
            score = plain[0].value if "score" in columns else None
        if weight is None and "weight" in columns and len(plain) >= 2:
            weight = plain[0].value
        return Summary(weight, score, rate, place)
    weight = plain[0].value if len(plain) >= 2 or ("score" not in columns and plain) else None
    score = plain[-1].value if plain and (len(plain) >= 2 or "weight" not in columns) else None
    rate = percents[-1].value if percents else None
    return Summary(weight, score, rate, place)


# ── figure tables: labels over values (003's 预算执行情况 and 资金使用情况) ──────────


@dataclass
class Figure:
    label: str
    value: Decimal
    place: Place


def read_figure_rows(doc: ReportDoc) -> list[Figure]:
    """Values written under a header row of labels (``财政拨款数 | 实际支付数 | …`` then ``3773.00 | 3513.00 | …``).

    A sub-header row (``其中:`` then ``结转数 | 财政收回数``) names the columns it sits over.
    """
    figures: list[Figure] = []
    for table in doc.tables:
        labels: dict[int, str] = {}
        for segment in table.rows:
            cells = segment.cells
            filled = [(i, cell) for i, cell in enumerate(cells) if cell.strip()]
            if not filled:
                continue
            numeric = [(i, cell) for i, cell in filled if single_number(cell) is not None]
            if len(numeric) == len(filled) and labels:
                place = doc.place(segment)
                for i, cell in numeric:
                    value = cell_value(cell)
                    if i in labels and value is not None:
                        figures.append(Figure(labels[i], value, place))
                labels = {}
                continue
            if not numeric:
                words = {i: squash(cell).rstrip(":：") for i, cell in filled}
                if len(filled) >= 2 and all(len(word) <= 30 for word in words.values()):
                    if labels and all(i not in labels or labels[i].startswith("其中") for i in words):
                        labels.update(words)  # a sub-header under "其中:"
                    else:
                        labels = dict(words)
                    continue
            labels = {}
    return figures
