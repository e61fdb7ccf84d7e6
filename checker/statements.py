"""Figures stated in the report's sentences: total, grade, grade bands, per-indicator scores and
deductions, category summaries, indicator counts, formulas, ratios, fund figures and counts.

Numbers come from :func:`scoring.numparse.find_numbers` (the one number parser);
this module only reads the words around them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from checker.document import ReportDoc, Segment, squash
from checker.findings import Place
from retrieval.chunking import numbered_heading_rank
from scoring.numparse import ParsedNumber, find_numbers

GRADE_NAMES = ("优秀", "良好", "中等", "较差", "不合格", "合格", "优", "良", "中", "差")
_GRADE = re.compile(r"(?:等级|评级|等次)\s*(?:为|是|：|:|评定为|确定为)?\s*[“\"「『]?(" + "|".join(GRADE_NAMES) + r")(?![\u4e00-\u9fff]{0,1}[分率])")
_BAND_MARK = re.compile(r"为[“\"「]?(" + "|".join(GRADE_NAMES) + ")")
_SENTENCE = re.compile(r"[^。；;！？!?\n]+[。；;！？!?]?")
_CLAUSE_DELIMS = "，,。；;：:、（(）)\t"
_NUMBERED_ITEM = re.compile(r"^\s*(?:[（(]\s*\d{1,2}\s*[）)]|\d{1,2}\s*[.．、](?!\d))\s*([^：:，,。]{2,30})[：:]")
PERCENT_UNITS = ("%", "％")


@dataclass
class Text:
    """A piece of text to read: a paragraph, or one cell of a table row."""

    segment: Segment
    text: str
    base: int  # offset of ``text`` in ``segment.text``

    def place(self, doc: ReportDoc, start: int, end: int | None = None) -> Place:
        if self.segment.kind == "table_row":
            return doc.place(self.segment)
        return doc.place(self.segment, self.base + start, self.base + (end if end is not None else start))


def texts(doc: ReportDoc, tables: bool = True) -> Iterator[Text]:
    """Paragraphs, then (optionally) every cell of every table row."""
    for segment in doc.segments:
        if segment.kind == "paragraph":
            yield Text(segment, segment.text, 0)
        elif segment.kind == "table_row" and tables:
            offset = 0
            for cell in segment.text.split("\t"):
                if len(cell) > 8:
                    yield Text(segment, cell, offset)
                offset += len(cell) + 1


def sentences(text: str) -> Iterator[tuple[int, str]]:
    for match in _SENTENCE.finditer(text):
        yield match.start(), match.group()


def quantities(text: str) -> list[ParsedNumber]:
    return [number for number in find_numbers(text) if number.role == "quantity"]


def is_percent(number: ParsedNumber) -> bool:
    return number.unit in PERCENT_UNITS


def unit_end(text: str, number: ParsedNumber) -> int:
    """End of the number including its unit word (``5191.10万元`` ends after 元)."""
    if number.unit and not is_percent(number):
        found = text.find(number.unit, number.end, number.end + 4)
        if found >= 0:
            return found + len(number.unit)
    return number.end


def label_before(text: str, start: int, floor: int = 0) -> str:
    """The words before ``start`` back to the previous delimiter (or ``floor``)."""
    i = start
    while i > floor and text[i - 1] not in _CLAUSE_DELIMS:
        i -= 1
    return squash(text[i:start])


def word_after(text: str, pos: int, limit: int = 8) -> str:
    """The words after ``pos`` up to the next delimiter or number (at most ``limit`` characters)."""
    end = pos
    while end < len(text) and end - pos < limit and text[end] not in _CLAUSE_DELIMS and not text[end].isdigit():
        end += 1
    return squash(text[pos:end])


def decimals_of(number: ParsedNumber) -> int:
    return number.decimals


# ── total, full score, grade, bands ─────────────────────────────────────────


@dataclass
class Stated:
    value: Decimal
    place: Place


@dataclass
class GradeStatement:
    name: str
    place: Place


_TOTAL_CONTEXT = ("综合", "综评", "最终", "自评得分", "总得分", "评价等级", "自评等级", "等级为", "评级")


def find_totals(doc: ReportDoc) -> list[Stated]:
    """Sentences that state the total score (综合得分 82.46 分，评价等级为“良”)."""
    found: list[Stated] = []
    for item in texts(doc, tables=False):
        for start, sentence in sentences(item.text):
            if not any(word in sentence for word in _TOTAL_CONTEXT) or re.search(r"分值|权重|[×=＝]", sentence):
                continue
            if _NUMBERED_ITEM.match(item.text):
                continue
            for match in re.finditer(r"得分(?!率)|评分结果", sentence):
                numbers = [n for n in quantities(sentence) if n.start >= match.end() and n.start - match.end() <= 6]
                if numbers and numbers[0].unit in (None, "分") and numbers[0].value <= 200:
                    number = numbers[0]
                    found.append(Stated(number.value, item.place(doc, start + number.start, start + number.end)))
                    break
    return found


def find_full_scores(doc: ReportDoc) -> list[Stated]:
    """``总分100分``, ``总分值设定为100分``."""
    found: list[Stated] = []
    for item in texts(doc, tables=False):
        for start, sentence in sentences(item.text):
            if "指标" not in sentence:
                continue
            for match in re.finditer(r"总分值|总分(?!为)", sentence):
                numbers = [n for n in quantities(sentence) if 0 <= n.start - match.end() <= 6 and n.unit == "分"]
                if numbers:
                    number = numbers[0]
                    found.append(Stated(number.value, item.place(doc, start + number.start, start + number.end)))
    return found


def find_grades(doc: ReportDoc) -> list[GradeStatement]:
    found: list[GradeStatement] = []
    for item in texts(doc, tables=False):
        for start, sentence in sentences(item.text):
            if len(_BAND_MARK.findall(sentence)) >= 2:
                continue  # the grade bands, not a grade
            match = _GRADE.search(sentence)
            if match:
                found.append(GradeStatement(match.group(1), item.place(doc, start + match.start(1), start + match.end(1))))
    return found


def find_bands(doc: ReportDoc) -> tuple[list[tuple[str, Decimal]], Place | None]:
    """Grade bands (name, lower bound), e.g. 90（含）-100分为优、80（含）-90分为良、60分以下为差."""
    for item in texts(doc, tables=False):
        for start, sentence in sentences(item.text):
            if len(_BAND_MARK.findall(sentence)) < 3:
                continue
            bands: list[tuple[str, Decimal]] = []
            for clause in re.split(r"[、，,；;]", sentence):
                marks = _BAND_MARK.findall(clause)
                numbers = [n for n in quantities(clause) if not is_percent(n)]
                if len(marks) != 1:
                    continue
                if re.search(r"以下|不足|低于|<", clause):
                    bands.append((marks[0], Decimal(0)))
                elif numbers:
                    bands.append((marks[0], min(n.value for n in numbers)))
            if len(bands) >= 3 and len({name for name, _ in bands}) == len(bands):
                if all(low > 0 for _, low in bands):
                    continue
                return bands, item.place(doc, start, start + len(sentence))
    return [], None


# ── per-indicator sentences ──────────────────────────────────────────────────


@dataclass
class ItemStatement:
    """``3.绩效目标合理性：……该指标扣1分，得2分。`` (or a table note ``……扣0.31分。``)."""

    title: str
    deduction: Decimal | None
    score: Decimal | None
    full: bool
    place: Place
    deduction_place: Place | None = None
    section: list[str] = field(default_factory=list)
    text: str = ""


def read_item(text: str) -> tuple[Decimal | None, Decimal | None, bool, int, int]:
    """(deduction, score, full marks, position of the deduction, position of the score) in an item's text."""
    deduction = score = None
    d_pos = s_pos = 0
    numbers = quantities(text)
    for number in numbers:
        if number.unit != "分":
            continue
        before = text[max(0, number.start - 4): number.start]
        clause_start = max(text.rfind(mark, 0, number.start) for mark in "，,。；;：:") + 1
        if "每" in text[clause_start: number.start]:
            continue  # the rule (每例扣0.5分), not the deduction
        if "扣" in before[-2:] or before.endswith(("扣除", "扣减")):
            deduction, d_pos = number.value, number.start
        elif re.search(r"(?:得|为|=|＝|计)\s*$", before) and "每" not in before:
            score, s_pos = number.value, number.start
    full = score is None and bool(re.search(r"得满分|满分[。，,]|满分$", text))
    return deduction, score, full, d_pos, s_pos


def find_items(doc: ReportDoc) -> list[ItemStatement]:
    found: list[ItemStatement] = []
    for segment in doc.segments:
        if segment.kind != "paragraph":
            continue
        match = _NUMBERED_ITEM.match(segment.text)
        if not match:
            continue
        deduction, score, full, d_pos, s_pos = read_item(segment.text)
        if deduction is None and score is None and not full:
            continue
        title = squash(match.group(1))
        place = doc.place(segment, s_pos or d_pos or match.start(1))
        d_place = doc.place(segment, d_pos) if deduction is not None else None
        found.append(ItemStatement(title, deduction, score, full, place, d_place, doc.heading_before(segment), segment.text))
    return found


@dataclass
class CategoryStatement:
    """``分值20分，评价得分16.00分，得分率80.00%`` in a category's section, with its 其中 parts."""

    section: list[str]
    weight: Decimal | None
    score: Decimal | None
    rate: Decimal | None
    place: Place
    parts: list[tuple[str, Decimal | None, Decimal | None, Place]] = field(default_factory=list)
    counts: list[tuple[int, int, Place]] = field(default_factory=list)  # (level, count)


def _value_after(sentence: str, words: tuple[str, ...], unit: tuple[str | None, ...], span: int = 5) -> ParsedNumber | None:
    for match in re.finditer("|".join(words), sentence):
        for number in quantities(sentence):
            if 0 <= number.start - match.end() <= span and number.unit in unit:
                return number
    return None


_SCORE_WORDS = ("实际得分", "评价得分", "合计得", "共得", "得分")
_COUNT_LEVEL = re.compile(r"([一二三四])级指标")


def find_counts(text: str) -> list[tuple[int, int, int]]:
    """(level, count, position) for ``3项二级指标``, ``27个三级指标``."""
    found = []
    for number in quantities(text):
        if number.unit not in ("项", "个") or number.decimals:
            continue
        after = text[unit_end(text, number): unit_end(text, number) + 5]
        match = _COUNT_LEVEL.match(after)
        if match:
            found.append(("一二三四".index(match.group(1)) + 1, int(number.value), number.start))
    return found


def find_categories(doc: ReportDoc) -> list[CategoryStatement]:
    found: list[CategoryStatement] = []
    for item in texts(doc, tables=False):
        for start, sentence in sentences(item.text):
            weight = _value_after(sentence, ("分值", "权重分", "权重", "满分"), ("分",))
            score = _value_after(sentence, _SCORE_WORDS, ("分",))
            if weight is None or score is None or score.start < weight.start:
                continue
            rate = _value_after(sentence, ("得分率",), PERCENT_UNITS)
            statement = CategoryStatement(
                doc.heading_before(item.segment),
                weight.value,
                score.value,
                rate.value if rate else None,
                item.place(doc, start + weight.start, start + score.end),
            )
            statement.counts = [(level, count, item.place(doc, start + pos)) for level, count, pos in find_counts(sentence)]
            for part in re.finditer(r"([\u4e00-\u9fff]{2,16})[（(]分值\s*([^）)]{1,20})[）)]", sentence):
                numbers = [n for n in quantities(part.group(2)) if n.unit == "分"]
                if len(numbers) == 2:
                    statement.parts.append((part.group(1), numbers[0].value, numbers[1].value, item.place(doc, start + part.start())))
            rest = item.text[start + len(sentence):]
            parts = re.match(r"\s*其中[，,：:]?(.*?)(?:[。；]|$)", rest)
            if parts:
                offset = start + len(sentence) + parts.start(1)
                for clause_match in re.finditer(r"[^，,；;]+", parts.group(1)):
                    clause = clause_match.group()
                    numbers = [n for n in quantities(clause) if n.unit == "分"]
                    if len(numbers) != 2:
                        continue
                    name = squash(clause[: numbers[0].start])
                    if 2 <= len(name) <= 20:
                        where = item.place(doc, offset + clause_match.start())
                        statement.parts.append((name, numbers[0].value, numbers[1].value, where))
            found.append(statement)
    return found


def find_document_counts(doc: ReportDoc) -> list[tuple[int, int, Place, list[str]]]:
    """Indicator counts outside category summaries: ``设置4项一级指标、12项二级指标、22项三级指标``."""
    found = []
    for item in texts(doc, tables=False):
        for start, sentence in sentences(item.text):
            if _value_after(sentence, ("分值", "权重分", "权重"), ("分",)) and _value_after(sentence, _SCORE_WORDS, ("分",)):
                continue  # a category summary: counted there
            for level, count, pos in find_counts(sentence):
                found.append((level, count, item.place(doc, start + pos), doc.heading_before(item.segment)))
    return found


# ── formulas and ratios ──────────────────────────────────────────────────────

_TIMES = "×*xX✕"
_DIVIDE = "/／÷"
_EQUALS = "=＝"


@dataclass
class Formula:
    kind: str  # "times" | "divide"
    a: ParsedNumber
    b: ParsedNumber
    c: ParsedNumber
    place: Place
    quote: str


def _between(text: str, left: ParsedNumber, right: ParsedNumber) -> str:
    middle = text[unit_end(text, left): right.start]
    return "" if re.search(r"[0-9。；;，,]", middle) else middle


def find_formulas(doc: ReportDoc) -> list[Formula]:
    """``4×56.46%=2.26分`` and ``支出1140.40万元/到位1186.00万元=96.16%`` with their three numbers."""
    found: list[Formula] = []
    for item in texts(doc):
        for start, sentence in sentences(item.text):
            numbers = quantities(sentence)
            for a, b, c in zip(numbers, numbers[1:], numbers[2:]):
                first, second = _between(sentence, a, b), _between(sentence, b, c)
                if not any(mark in second for mark in _EQUALS) or any(mark in second for mark in _TIMES + _DIVIDE):
                    continue
                kind = "times" if any(m in first for m in _TIMES) else "divide" if any(m in first for m in _DIVIDE) else None
                if kind is None or any(mark in first for mark in _EQUALS):
                    continue
                if re.search(r"[×xX*÷/+\-−＋－]\s*$", sentence[: a.start]):
                    continue  # a tail of a longer expression (6 − 7 × 5% × 6 = 3.90): not a ``a × b = c`` of its own
                quote = sentence[a.start: unit_end(sentence, c)]
                found.append(Formula(kind, a, b, c, item.place(doc, start + a.start, start + c.end), quote))
    return found


RATIO_WORDS = ("率", "比例", "进度", "占比", "完成预算的")
FUND_RATIO = {
    "execution": (("执行率", "完成预算", "支出进度", "执行进度"), ("支出", "支付", "使用", "执行数"), ("到位", "预算", "拨款", "安排", "下达", "拨付")),
    "arrival": (("到位率",), ("到位",), ("预算", "计划", "安排")),
    "payment": (("支付比例", "支付进度", "付款比例"), ("支付", "已付", "付款"), ("合同",)),
}


@dataclass
class RatioStatement:
    percent: ParsedNumber
    label: str
    place: Place
    text: Text
    sentence_start: int
    sentence: str


def find_ratios(doc: ReportDoc) -> list[RatioStatement]:
    """Percentages whose label is a ratio (执行率, 完成率, 支付比例 …)."""
    found: list[RatioStatement] = []
    for item in texts(doc):
        for start, sentence in sentences(item.text):
            for number in quantities(sentence):
                if not is_percent(number):
                    continue
                label = label_before(sentence, number.start)
                label = re.sub(r"(?:为|是|达到?|约|仅|均|已达|的)$", "", label)
                if not label or not label.endswith(RATIO_WORDS):
                    continue
                found.append(RatioStatement(number, label, item.place(doc, start + number.start, start + number.end), item, start, sentence))
    return found


def fund_ratio_kind(label: str) -> str | None:
    for kind, (names, _, _) in FUND_RATIO.items():
        if any(name in label for name in names):
            return kind
    return None


# ── amounts and counts with their labels ─────────────────────────────────────

FUND_SYNONYMS = {
    "budget": ("预算", "预算金额", "预算数", "预算资金", "预算总额", "全年预算数", "年度预算", "安排预算", "资金预算总额", "预算安排"),
    "received": ("实际到位", "到位", "到位金额", "实际到位金额", "到位资金", "实际到位资金", "资金实际到位", "资金到位"),
    "spent": ("支出", "实际支出", "总支出", "执行数", "实际使用金额", "实际支付数", "累计支出", "支出金额", "实际支出资金", "使用金额"),
}
_GENERIC_PREFIX = re.compile(r"^(?:本次评价的|本|该|项目|全年|年度|年末|截至年底|合计|共计|总计)+")
_LABEL_TAIL = re.compile(r"(?:为|是|达|约|仅|共计|合计|总计|共)+$")


@dataclass
class Mention:
    key: str
    value: Decimal
    when: tuple | None
    place: Place
    label: str


def _when(numbers: list[ParsedNumber], before: int) -> tuple | None:
    dates = [n for n in numbers if n.role in ("date", "year") and n.end <= before]
    return dates[-1].date if dates else None


def fund_key(label: str, project: str | None) -> str | None:
    key = _LABEL_TAIL.sub("", label)
    if project:
        key = key.replace(squash(project), "")
    key = re.sub(r"^(?:\d{4}年度?|\d{4}年底|\d{4}年末)", "", key)
    key = _GENERIC_PREFIX.sub("", key)
    for name, words in FUND_SYNONYMS.items():
        if key in words:
            return name
    return None


def find_mentions(doc: ReportDoc) -> tuple[list[Mention], list[Mention]]:
    """Project-level fund amounts (预算 / 到位 / 支出, in 万元) and labelled counts in the paragraphs."""
    project = doc.doc.meta.project
    funds: list[Mention] = []
    counts: list[Mention] = []
    for segment in doc.segments:
        if segment.kind != "paragraph":
            continue
        text = segment.text
        numbers = find_numbers(text)
        for number in numbers:
            if number.role != "quantity" or is_percent(number):
                continue
            sentence_start = max(text.rfind(mark, 0, number.start) for mark in "。；;\n") + 1
            label = label_before(text, number.start)
            when = _when([n for n in numbers if n.start >= sentence_start], number.start)
            if number.measure == "money":
                key = fund_key(label, project)
                if key:
                    funds.append(Mention(key, number.base_value, when, doc.place(segment, number.start, number.end), label))
            elif number.measure == "count" and not number.decimals:
                end = unit_end(text, number)
                noun = word_after(text, end)
                words = re.sub(r"^(?:全年|年度|累计|共计|共|合计|其中|已|仅|新增)+", "", _LABEL_TAIL.sub("", label))
                words = re.sub(r"(?:全年|累计|共计|共|合计|已|仅)+$", "", words)
                if re.match(r"[一二三四]级", noun) or words.endswith(("设置", "下设", "包括", "涉及", "共列")) or "清单" in words:
                    continue
                if len(re.findall(r"[\u4e00-\u9fff]", words)) >= 4 and not re.search(r"\d", words):
                    counts.append(Mention(f"{words}|{number.unit}|{noun}", number.value, when, doc.place(segment, number.start, number.end), words))
    return funds, counts


# ── enumerated spending (001: 具体使用情况如下：（1）…（2）…) ─────────────────────


@dataclass
class Usage:
    total: ParsedNumber
    total_place: Place
    items: list[tuple[Decimal, Place]]


def paragraphs_after(doc: ReportDoc, segment: Segment) -> Iterator[Segment]:
    yield from doc.segments[segment.index + 1:]


def find_usages(doc: ReportDoc) -> list[Usage]:
    """A paragraph ``……共计1961万元，具体使用情况如下：`` followed by numbered items, each paying an amount."""
    found: list[Usage] = []
    for segment in doc.segments:
        if segment.kind != "paragraph" or not re.search(r"使用情况如下|支出情况如下|使用明细如下", segment.text):
            continue
        money = [n for n in quantities(segment.text) if n.measure == "money"]
        if not money:
            continue
        items: list[tuple[Decimal, Place]] = []
        for other in paragraphs_after(doc, segment):
            if other.kind != "paragraph" or not re.match(r"^\s*[（(]\s*\d{1,2}\s*[）)]", other.text):
                break
            amounts = [n for n in quantities(other.text) if n.measure == "money"]
            paid = [n for n in amounts if re.search(r"(?:支付|付|支出|使用)[^，。；]*$", other.text[: n.start]) or "付" in label_before(other.text, n.start)]
            chosen = paid[-1] if paid else (amounts[-1] if amounts else None)
            if chosen is None:
                break
            items.append((chosen.base_value, doc.place(other, chosen.start, chosen.end)))
        if items:
            found.append(Usage(money[-1], doc.place(segment, money[-1].start, money[-1].end), items))
    return found


def heading_rank(segment: Segment) -> int | None:
    return numbered_heading_rank(segment.text) if segment.kind == "heading" else None
