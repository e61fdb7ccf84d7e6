"""Every number a draft may legally contain: the figures of the scoring result and the facts of the case.

:meth:`FigureBook.from_case` collects them with a key and, where the scoring
module has one, the audit (the formula with its numbers). The number guard asks
the book whether a number found in a draft is one of them
(:meth:`FigureBook.match`) and, when it is not, which legal figure it was
probably meant to be (:meth:`FigureBook.nearest`).

Values are kept in base units: 万元 for money, percent points for rates, 分 for
scores, plain numbers for counts and durations (see :mod:`scoring.numparse`).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

from pydantic import BaseModel

from scoring.models import Case
from scoring.numbers import HUNDRED, fmt, fmt_short, quantize
from scoring.numparse import DateParts, Measure, ParsedNumber, find_numbers
from scoring.results import ScoreResult
from scoring.tree import walk

Source = Literal["score", "case"]


@dataclass(frozen=True)
class Figure:
    """One legal number: where it comes from (``key``), what it is (``label``) and how it was computed (``audit``)."""

    key: str
    label: str
    value: Decimal
    measure: Measure | None
    text: str
    audit: str | None = None
    names: tuple[str, ...] = ()
    source: Source = "score"
    in_prompt: bool = True

    def describe(self) -> str:
        """``82.46（总分）`` — how a violation names the nearest legal figure (its Chinese label, never the internal key)."""
        return f"{self.text}（{self.label}）"


# ── formatting ──────────────────────────────────────────────────────────────

_UNIT_TEXT: dict[Measure | None, str] = {"percent": "%", "money": "万元", "score": ""}


def _places(value: Decimal) -> int:
    """Two decimals, or more when the value has them (116.991 万元 stays 116.991)."""
    exponent = value.normalize().as_tuple().exponent
    return max(2, -exponent) if isinstance(exponent, int) and exponent < 0 else 2


def _show(value: Decimal, measure: Measure | None) -> str:
    """Scores, rates and amounts with their decimals (82.46, 95.91%, 5191.10万元); counts bare (13)."""
    if measure in _UNIT_TEXT:
        return f"{fmt(value, _places(value))}{_UNIT_TEXT[measure]}"
    return fmt_short(value, _places(value))


# ── collecting figures ──────────────────────────────────────────────────────

_PROJECT_FIELDS = {
    "name": "项目名称",
    "department": "主管部门",
    "implementing_unit": "实施单位",
    "commissioner": "委托单位",
    "evaluator": "评价机构",
    "period": "评价期间",
    "region": "地区",
}
_FINDING_FIELDS = {
    "unit": "项目单位",
    "project": "项目",
    "category": "项目分类",
    "nature": "问题定性",
    "issue": "具体问题",
    "description": "问题描述",
    "evidence": "佐证材料",
    "cause": "问题原因",
}
#: Text fields that are identifiers or references, not prose.
_NOT_TEXT = frozenset({"id", "indicator", "evaluation_kind"})
_LINE_FIELDS = {"budget": "预算", "received": "到位", "spent": "支出", "contract_amount": "合同金额", "paid": "已支付"}
_RULE_PARAMS: dict[str, tuple[str, Measure | None]] = {
    "per": ("每例扣分", "score"),
    "deduction": ("扣分", "score"),
    "max_deduction": ("最多扣分", "score"),
    "count": ("例数", "count"),
    "rate": ("比率", "percent"),
    "cap": ("比率上限", "percent"),
    "numerator": ("分子", None),
    "denominator": ("分母", None),
    "target": ("目标值", None),
    "actual": ("实际值", None),
    "band_low": ("满分区间下限", "percent"),
    "band_high": ("满分区间上限", "percent"),
    "below_penalty": ("每低1个百分点扣分比例", "percent"),
    "above_penalty": ("每超1个百分点扣分比例", "percent"),
}
_SNIPPET = 14
_LINKS = "为是达约共计仅占至：: "


def snippet_around(text: str, start: int, end: int, pad: int) -> str:
    """``text[start - pad:end + pad]``, widened so that no number, date or year is cut (12月31日 never becomes 2月31日)."""
    spans = [(number.start, number.end) for number in find_numbers(text)]
    left, right = max(0, start - pad), min(len(text), end + pad)
    for s_start, s_end in spans:
        if s_start < left < s_end:
            left = s_start
        if s_start < right < s_end:
            right = s_end
    while 0 < left < len(text) and text[left - 1].isdigit() and text[left].isdigit():
        left -= 1
    while 0 < right < len(text) and text[right - 1].isdigit() and text[right].isdigit():
        right += 1
    return text[left:right]


def _lead(text: str, start: int) -> str | None:
    """The words written right before a number in the case (在线率71.73% → 在线率): they name it when a draft repeats them."""
    before = text[max(0, start - 6):start].rstrip(_LINKS)
    lead = ""
    for char in reversed(before):
        if not "\u4e00" <= char <= "\u9fff" or len(lead) == 4:
            break
        lead = char + lead
    return lead if len(lead) >= 2 else None


class _Collector:
    """Accumulates figures and case dates while :meth:`FigureBook.from_case` walks the case and the result."""

    def __init__(self) -> None:
        self.figures: list[Figure] = []
        self.dates: set[DateParts] = set()

    def add(self, key: str, label: str, value: Decimal | int | None, measure: Measure | None, *, audit: str | None = None,
            names: tuple[str, ...] = (), text: str | None = None, source: Source = "score", in_prompt: bool = True) -> None:
        if value is None:
            return
        value = Decimal(value)
        shown = text if text is not None else _show(value, measure)
        self.figures.append(Figure(key, label, value, measure, shown, audit, names, source, in_prompt))

    def numbers_in(self, text: str | None, key: str, label: str, *, names: tuple[str, ...] = (), source: Source = "case",
                   bare: Measure | None = None) -> None:
        """Every quantity in ``text`` becomes a figure (its audit: the formula, or the case passage); every year and date a case date.

        ``bare`` is the measure of numbers written without a unit (the bare numbers of a score audit are points).
        """
        if not text:
            return
        for number in find_numbers(text):
            if number.role in ("year", "date"):
                if number.date is not None:
                    self.dates.add(number.date)
            elif number.role == "quantity":
                snippet = snippet_around(text, number.start, number.end, _SNIPPET).replace("\n", " ")
                lead = _lead(text, number.start)
                self.add(
                    f"{key}@{number.start}",
                    label,
                    number.base_value,
                    number.measure or bare,
                    audit=text if source == "score" else f"{label}：…{snippet}…",
                    names=(*names, lead) if lead else names,
                    text=number.text if number.unit in (None, "%", "％") else number.text + number.unit,
                    source=source,
                    in_prompt=False,
                )


def _totals(c: _Collector, result: ScoreResult) -> None:
    categories = " + ".join(f"{node.score:.2f}" for node in result.categories)
    c.add("total", "总分", result.total, "score", audit=f"{categories} = {result.total:.2f}", names=("总分", "总得分", "综合得分", "评价得分"))
    c.add("full_score", "满分", result.full_score, "score", names=("满分", "总分值"), text=fmt_short(result.full_score))
    c.add("total_rate", "总得分率", result.rate, "percent", audit=f"{result.total:.2f} / {fmt_short(result.full_score)} = {result.rate:.2f}%", names=("得分率",))


def _funds(c: _Collector, case: Case, result: ScoreResult) -> None:
    for metric in result.funds:
        measure = _measure_of(metric.unit)
        shown = _show(metric.value, measure) if metric.value is not None else None
        audit = f"案例资金情况：{metric.label} {shown}" if metric.formula == "报告给出" else f"{metric.formula} = {shown}"
        c.add(f"funds:{metric.key}", metric.label, metric.value, measure, audit=audit, names=(metric.label,))
    for i, line in enumerate(case.funds.lines):
        for field, label in _LINE_FIELDS.items():
            c.add(f"funds.lines[{i}].{field}", f"{line.name}{label}", getattr(line, field), "money", names=(line.name,))
        if line.received is not None and line.spent is not None:
            balance = line.received - line.spent
            if balance:
                c.add(f"funds.lines[{i}]:balance", f"{line.name}结余", balance, "money",
                      audit=f"{fmt(line.received)} − {fmt(line.spent)} = {fmt(balance)}", names=(line.name,))
            if line.received:
                rate = quantize(line.spent / line.received * HUNDRED, 2)
                c.add(f"funds.lines[{i}]:execution_rate", f"{line.name}执行率", rate, "percent",
                      audit=f"{fmt(line.spent)} / {fmt(line.received)} = {rate}%", names=(line.name,))


def _measure_of(unit: str) -> Measure:
    return "percent" if unit == "%" else "money"


_LEVEL_NAMES = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五"}


def _nodes(c: _Collector, result: ScoreResult) -> None:
    for node in result.nodes:
        key, names = f"node:{node.path}", (node.name,)
        c.add(f"{key}:weight", f"{node.name}分值", node.weight, "score", names=names, text=fmt_short(node.weight))
        c.add(f"{key}:score", f"{node.name}得分", node.score, "score", audit=node.audit, names=names)
        if node.rate is not None:
            c.add(f"{key}:rate", f"{node.name}得分率", node.rate, "percent",
                  audit=f"{node.score:.2f} / {fmt_short(node.weight)} = {node.rate:.2f}%", names=names)
        deduction = node.weight - node.score
        if deduction > 0:
            c.add(f"{key}:deduction", f"{node.name}扣分", deduction, "score",
                  audit=f"{fmt_short(node.weight)} − {node.score:.2f} = {deduction:.2f}", names=names)
        if node.findings:
            c.add(f"{key}:findings", f"{node.name}问题条数", node.findings, "count", names=names)
        if node.is_leaf:  # a parent's audit only adds up its children's scores, already in the book
            c.numbers_in(node.audit, f"{key}:audit", f"{node.name}算式", names=names, source="score", bare="score")
        c.numbers_in(node.reason, f"{key}:reason", f"{node.name}扣分理由", names=names)
    for level, count in sorted(Counter(node.level for node in result.nodes).items()):
        c.add(f"indicators:level{level}", f"{_LEVEL_NAMES.get(level, str(level))}级指标个数", count, "count", names=("级指标",))


def _rules(c: _Collector, case: Case) -> None:
    for item in walk(case.indicators):
        rule = item.node.rule
        if rule is None:
            continue
        fields = type(rule).model_fields
        for field, (label, measure) in _RULE_PARAMS.items():
            if field not in fields:
                continue
            value = getattr(rule, field)
            if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
                c.add(f"rule:{item.path}:{field}", f"{item.node.name}评分规则{label}", value, measure, names=(item.node.name,))


def _grading(c: _Collector, case: Case) -> None:
    # Band bounds are written as points (90分) or, on a percent basis, as rates (得分率90%): no fixed measure.
    for band in case.grading.bands:
        c.add(f"grading:{band.name}:min", f"等级“{band.name}”下限", band.min, None, names=(band.name,), text=fmt_short(band.min))


def _findings(c: _Collector, case: Case) -> None:
    findings = case.findings
    if not findings:
        return
    natures = Counter(finding.nature for finding in findings)
    c.add("findings:total", "问题清单条数", len(findings), "count", names=("问题清单",))
    c.add("findings:natures", "问题定性种类数", len(natures), "count", names=("问题定性",))
    projects = {finding.project for finding in findings if finding.project}
    units = {finding.unit for finding in findings if finding.unit}
    c.add("findings:projects", "涉及问题的项目数", len(projects) or None, "count")
    c.add("findings:units", "涉及问题的单位数", len(units) or None, "count")
    for nature, count in natures.items():
        c.add(f"findings:nature:{nature}", f"“{nature}”问题条数", count, "count", names=(nature,))
        nature_projects = {finding.project for finding in findings if finding.nature == nature and finding.project}
        if nature_projects:
            c.add(f"findings:nature:{nature}:projects", f"“{nature}”涉及项目数", len(nature_projects), "count", names=(nature,))
        amounts = [finding.amount for finding in findings if finding.nature == nature and finding.amount is not None]
        if len(amounts) > 1:  # one amount is that finding's own figure
            c.add(f"findings:nature:{nature}:amount", f"“{nature}”涉及金额合计", sum(amounts, Decimal(0)), "money", names=(nature,))


def _text_fields(model: BaseModel, labels: dict[str, str]) -> Iterator[tuple[str, str, str]]:
    """(field, Chinese label, text) of every text field of ``model`` — fields added later are read too."""
    for field, info in type(model).model_fields.items():
        value = getattr(model, field)
        if isinstance(value, str) and field not in _NOT_TEXT:
            yield field, labels.get(field) or info.description or field, value


def _case_text(c: _Collector, case: Case) -> None:
    if case.project.year is not None:
        c.dates.add((case.project.year, None, None))
    for field, label, text in _text_fields(case.project, _PROJECT_FIELDS):
        c.numbers_in(text, f"case:project.{field}", f"项目信息·{label}")
    for i, line in enumerate(case.funds.lines):
        c.numbers_in(line.name, f"case:funds.lines[{i}].name", "资金明细·子项目名称", names=(line.name,))
    for item in walk(case.indicators):
        node = item.node
        names: tuple[str, ...] = (node.name,)
        c.numbers_in(node.name, f"case:indicator:{item.path}:name", f"指标“{node.name}”名称", names=names)
        c.numbers_in(node.note, f"case:indicator:{item.path}:note", f"指标“{node.name}”说明", names=names)
        if node.rule is not None:
            for field, value in node.rule:
                if isinstance(value, str) and field != "type" and not value.startswith("funds."):
                    c.numbers_in(value, f"case:indicator:{item.path}:rule.{field}", f"指标“{node.name}”评分规则", names=names)
    for i, finding in enumerate(case.findings):
        where = f"问题清单第{finding.id or i + 1}条"
        names = tuple(name for name in (finding.nature, finding.project) if name)
        c.add(f"case:findings[{i}].amount", f"{where}·涉及金额", finding.amount, "money", names=names, source="case", in_prompt=False)
        for field, label, text in _text_fields(finding, _FINDING_FIELDS):
            c.numbers_in(text, f"case:findings[{i}].{field}", f"{where}·{label}", names=names)


# ── matching ────────────────────────────────────────────────────────────────


def compatible(number: ParsedNumber, figure: Figure) -> bool:
    """A bare number or a bare figure fits anything; otherwise the measures must agree (a % is a rate)."""
    return number.measure is None or figure.measure is None or number.measure == figure.measure


def rounds_to(number: ParsedNumber, figure: Figure) -> bool:
    """The "same rounding" rule: the figure, in the number's unit and rounded to its written decimals, is the number.

    ``82.5`` matches 82.46 (one decimal written), ``82.50`` does not. A whole
    number that is not a percentage or a 万/亿 amount must be exact: ``扣3分``
    does not stand for a deduction of 2.60.
    """
    in_unit = abs(figure.value) / number.scale
    if number.decimals == 0 and number.measure != "percent" and number.scale <= 1:
        return in_unit == number.value
    try:
        return in_unit.quantize(Decimal(1).scaleb(-number.decimals), rounding=ROUND_HALF_UP) == number.value
    except InvalidOperation:  # more digits than the decimal context holds: only an exact figure can match
        return in_unit == number.value


GroupKey = tuple[Decimal, Measure | None]
_CONTEXT_LIMIT = 60
_NAME_FANOUT = 200


class FigureBook:
    """The legal figures of one scored case, indexed by value and by name, with the case's years and dates."""

    def __init__(self, figures: Iterable[Figure], dates: Iterable[DateParts] = (), grade: str | None = None) -> None:
        self.figures: tuple[Figure, ...] = tuple(figures)
        self.dates: frozenset[DateParts] = frozenset(dates)
        self.years: frozenset[int] = frozenset(year for year, _, _ in self.dates if year is not None)
        self.grade = grade
        self._by_key: dict[str, Figure] = {}
        for figure in self.figures:
            self._by_key.setdefault(figure.key, figure)
        # Figures of equal value and measure form one group (in book order); groups are sorted by value.
        self._groups: dict[GroupKey, list[int]] = {}
        for index, figure in enumerate(self.figures):
            self._groups.setdefault((abs(figure.value), figure.measure), []).append(index)
        self._keys: list[GroupKey] = sorted(self._groups, key=lambda key: key[0])
        self._values: list[Decimal] = [key[0] for key in self._keys]
        # Labels (level 2) and names (level 1) → figures, to find which figures the text before a number names.
        self._names: dict[str, list[tuple[int, int]]] = {}
        for index, figure in enumerate(self.figures):
            for name, level in ((figure.label, 2), *((name, 1) for name in figure.names if name != figure.label)):
                if name and len(name) <= _CONTEXT_LIMIT:
                    self._names.setdefault(name, []).append((index, level))
        # A name shared by hundreds of figures (a common word before numbers) tells nothing about which one is meant.
        self._names = {name: hits for name, hits in self._names.items() if len(hits) <= _NAME_FANOUT}
        self._name_lengths = sorted({len(name) for name in self._names})
        ending: dict[str, set[int]] = {}
        for name in self._names:
            ending.setdefault(name[-1], set()).add(len(name))
        self._lengths_ending = {char: sorted(lengths) for char, lengths in ending.items()}  # last character → name lengths
        self._strict: frozenset[str] | None = None

    @classmethod
    def from_case(cls, case: Case, result: ScoreResult) -> FigureBook:
        """Every figure of ``result`` and every number, year and date written in ``case`` (its ``stated`` part excepted)."""
        collector = _Collector()
        _totals(collector, result)
        _funds(collector, case, result)
        _nodes(collector, result)
        _rules(collector, case)
        _findings(collector, case)
        _grading(collector, case)
        _case_text(collector, case)
        return cls(collector.figures, collector.dates, result.grade)

    def __len__(self) -> int:
        return len(self.figures)

    def __iter__(self) -> Iterator[Figure]:
        return iter(self.figures)

    def get(self, key: str) -> Figure | None:
        """The figure with ``key`` (``total``, ``funds:spent``, ``node:<path>:score``…), or ``None``."""
        return self._by_key.get(key)

    # ── numbers ─────────────────────────────────────────────────────────────
    def _fitting_groups(self, number: ParsedNumber) -> list[GroupKey]:
        if number.role != "quantity":
            return []
        half = Decimal(5).scaleb(-(number.decimals + 1))
        low, high = (abs(number.value) - half) * number.scale, (abs(number.value) + half) * number.scale
        first, last = bisect_left(self._values, low), bisect_right(self._values, high)
        return [key for key in self._keys[first:last] if compatible(number, self.figures[self._groups[key][0]])
                and rounds_to(number, self.figures[self._groups[key][0]])]

    def _named(self, context: str) -> dict[int, tuple[int, int]]:
        """Figures whose label or name is written in ``context``: index → (level, end of the rightmost mention)."""
        context = context[-_CONTEXT_LIMIT:]
        hits: dict[int, tuple[int, int]] = {}
        for end in range(len(context), 0, -1):
            for length in self._lengths_ending.get(context[end - 1], ()):
                if length > end:
                    break
                for index, level in self._names.get(context[end - length:end], ()):
                    if hits.get(index, (0, -1)) < (level, end):
                        hits[index] = (level, end)
        return hits

    def labelled(self, context: str) -> list[Figure]:
        """Scoring figures whose label is written right before a number, only linking words between (总分83.00分,
        总分为83.00分, 预算执行率得分1.92分): the figure the sentence says the number is. (Numbers quoted
        from the case text are named too loosely, by the words before them, to be held to a name.)"""
        stripped = context[-_CONTEXT_LIMIT:].rstrip(_LINKS + "写成")
        strict = self._strict_names()
        found: list[Figure] = []
        for length in self._name_lengths:
            if length > len(stripped):
                break
            name = stripped[-length:]
            if name in strict:
                found.extend(figure for index, _ in self._names[name] if (figure := self.figures[index]).source == "score")
        return found

    def _strict_names(self) -> frozenset[str]:
        """Labels, and names that end no other label: "综合得分" names the total, but "得分率" ends
        "项目决策得分率" too, so a number after it may be any indicator's rate."""
        if self._strict is None:
            # A label other than ``name`` ends with it exactly when ``name`` is a proper suffix of a label.
            endings = {label[i:] for label in {figure.label for figure in self.figures} for i in range(1, len(label))}
            self._strict = frozenset(name for name, hits in self._names.items() if any(level == 2 for _, level in hits) or name not in endings)
        return self._strict

    def fits(self, number: ParsedNumber, figure: Figure) -> bool:
        """Whether ``number`` may stand for ``figure`` (same measure, same value at the written precision)."""
        return (abs(figure.value), figure.measure) in set(self._fitting_groups(number))

    @property
    def grade_names(self) -> tuple[str, ...]:
        """The names of the case's grade bands (优、良、中、差 or the case's own)."""
        return tuple(figure.names[0] for figure in self.figures if figure.key.startswith("grading:") and figure.names)

    def matches(self, number: ParsedNumber) -> list[Figure]:
        """Every figure ``number`` may stand for (compatible measure, same value at the written precision), in book order."""
        indices = sorted(index for key in self._fitting_groups(number) for index in self._groups[key])
        return [self.figures[index] for index in indices]

    def match(self, number: ParsedNumber, context: str = "") -> Figure | None:
        """The figure ``number`` stands for, or ``None``.

        ``context`` (the text before the number) picks among equal figures: one
        whose label is written there, then one whose name is, then a figure of
        the number's own measure, an exact one, and the earliest in the book
        (scoring figures come before case text).
        """
        groups = self._fitting_groups(number)
        if not groups:
            return None
        fitting = set(groups)

        def exact(figure: Figure) -> bool:
            return abs(figure.value) / number.scale == number.value

        named = [
            (-level, -end, figure.measure is None, not exact(figure), index)
            for index, (level, end) in self._named(context).items()
            if (abs((figure := self.figures[index]).value), figure.measure) in fitting
        ]
        if named:
            return self.figures[min(named)[-1]]
        first = min(groups, key=lambda key: (key[1] is None, not exact(self.figures[self._groups[key][0]]), self._groups[key][0]))
        return self.figures[self._groups[first][0]]

    def nearest(self, number: ParsedNumber, context: str = "") -> Figure | None:
        """The legal figure closest to ``number``: first one named in ``context``, then one of the same measure, then any."""
        if not self.figures or number.role != "quantity":
            return None
        target = abs(number.value) * number.scale
        named = [
            (-level, -end, figure.measure is None, abs(abs(figure.value) - target), index)
            for index, (level, end) in self._named(context).items()
            if compatible(number, figure := self.figures[index])
        ]
        if named:
            return self.figures[min(named)[-1]]
        key = self._closest_group(target, lambda key: compatible(number, self.figures[self._groups[key][0]]))
        key = key or self._closest_group(target, lambda key: True)
        return self.figures[self._groups[key][0]] if key else None

    def _closest_group(self, target: Decimal, accept: Callable[[GroupKey], bool]) -> GroupKey | None:
        """The accepted group nearest ``target``; ties go to a measured group, then to the earliest figure."""
        position = bisect_left(self._values, target)
        found: list[GroupKey] = []
        for step in (-1, 1):
            index = position if step == 1 else position - 1
            while 0 <= index < len(self._keys) and not accept(self._keys[index]):
                index += step
            if 0 <= index < len(self._keys):
                value = self._values[index]
                while 0 <= index < len(self._keys) and self._values[index] == value:
                    if accept(self._keys[index]):
                        found.append(self._keys[index])
                    index += step
        if not found:
            return None
        return min(found, key=lambda key: (abs(key[0] - target), key[1] is None, self._groups[key][0]))

    # ── dates ───────────────────────────────────────────────────────────────
    def has_date(self, number: ParsedNumber) -> bool:
        """True when the year or date ``number`` appears in the case at the precision written (2021年5月 ⊂ 2021年5月3日)."""
        if number.date is None:
            return number.role in ("year", "date")  # a time of day is not checked
        year, month, day = number.date
        if month is None and day is None:
            return year in self.years
        return any(
            (year is None or year == y) and (month is None or month == m) and (day is None or day == d)
            for y, m, d in self.dates
        )

    def nearest_date(self, number: ParsedNumber) -> str | None:
        """The case date closest to ``number``, written the Chinese way (2021年5月)."""
        if number.date is None or not self.dates:
            return None
        year, month, day = number.date

        def gap(ours: int | None, theirs: int | None, missing: int) -> int:
            if ours is None:
                return 0
            return missing if theirs is None else abs(ours - theirs)

        def key(parts: DateParts) -> tuple[int, int, int, tuple[int, int, int]]:
            y, m, d = parts
            return gap(year, y, 10**4), gap(month, m, 13), gap(day, d, 32), (y or 0, m or 0, d or 0)

        return format_date(min(self.dates, key=key))

    # ── prompts ─────────────────────────────────────────────────────────────
    def prompt_table(self) -> list[dict[str, str]]:
        """Rows (key, label, value as text, audit) of the scoring figures, for an LLM prompt; case text is given separately."""
        rows = [{"key": "grade", "label": "等级", "value": self.grade, "audit": ""}] if self.grade else []
        rows.extend(
            {"key": figure.key, "label": figure.label, "value": figure.text, "audit": figure.audit or ""}
            for figure in self.figures
            if figure.in_prompt
        )
        return rows


def format_date(parts: DateParts) -> str:
    """(2021, 5, None) → ``2021年5月``."""
    year, month, day = parts
    return "".join(f"{value}{suffix}" for value, suffix in ((year, "年"), (month, "月"), (day, "日")) if value is not None)
