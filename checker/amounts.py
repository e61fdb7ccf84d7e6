"""Contract, payment, allocation and sub-project amounts, wherever the report writes them.

An :class:`Amount` is one money figure with what it is (``kind``: 合同 /
中标 / 支付 / 累计支付 / 下拨 / 预算 / 到位), what it is about (``subject``:
a sub-project, or ``""`` for the project itself) and when (``when``: the date
of its sentence). Project-level 预算/到位/支出 are left to the mentions of
:mod:`checker.statements`; here a subject-less amount counts only when dated
(e.g. 「全年下拨经费820万元」 in one place and 「全年下拨……经费合计802万元」 in another). Fund-table rows
give amounts too, with the row's name as subject.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from checker.document import ReportDoc, squash
from checker.findings import Place
from checker.fundtables import FundTable
from checker.statements import fund_key, label_before
from scoring.numparse import find_numbers

#: kind → the words that name it in a label (first match in the label wins, in this order).
KIND_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("paid_total", re.compile(r"累计(?:已)?支付|累计付款")),
    ("contract", re.compile(r"合同金额|合同额|合同价款?|签订合同|合同")),
    ("bid", re.compile(r"中标金额|中标价|中标")),
    ("paid", re.compile(r"支付金额|已支付|支付|付款|已付")),
    ("allocated", re.compile(r"下拨|拨付|下达")),
    ("budget", re.compile(r"预算金额|预算")),
)
KIND_NAMES = {"paid_total": "累计支付金额", "contract": "合同金额", "bid": "中标金额", "paid": "支付金额", "allocated": "下拨资金", "budget": "预算金额"}
_TABLE_KINDS = {"contract": "contract", "spent": "paid", "budget": "budget"}
_NUMBERING = re.compile(r"^(?:[（(]\d{1,2}[）)]|\d{1,2}[.．、]|其中[：:]?|[一二三四五六七八九十]+是)")
_GENERIC_HEAD = re.compile(r"^(?:共计|合计|总计|目前|当前|现已|已经|分别|均|约|共|累计|其中|本年|当年|年度|年底|年末|全年|年初|项目)+")
_GENERIC_TAIL = re.compile(r"(?:(?:相关|有关)?(?:费用|资金|经费|款项|金额)|共计|合计|总计|为|达|约|共|均|已|目前)+$")
_YEAR = re.compile(r"\d{4}年(?:度|底|末)?")
_MIN_SUBJECT = 4
#: A part of an amount, not the amount: 尾款, 质保金, 审计核减后…
_PART = re.compile(r"节约|节省|超支|结余|尾款|质保金|剩余|余款|未付|差额|核减|审减|调整|追加|调增|调减|增加|减少|首付|预付|进度款|每年|每期|本期|分期")
_WHOLE = re.compile(r"资金|费用|经费")


@dataclass(frozen=True)
class Amount:
    kind: str
    subject: str  # "" for the project itself
    when: tuple[int | None, ...] | None
    value: Decimal  # 万元
    place: Place
    label: str
    in_table: bool = False


def _subject(label: str, kind_start: int, kind_end: int, project: str | None, title: str) -> str:
    text = label[:kind_start] + label[kind_end:]
    text = _NUMBERING.sub("", text)
    text = _YEAR.sub("", text)
    text = re.sub(r"[（(][^）)]*[）)]", "", text).strip("：:，,的 ")
    text = _GENERIC_TAIL.sub("", _GENERIC_HEAD.sub("", text))
    text = re.sub(r"(?:项目|工程|服务)$", "", text)
    if not text:
        return ""
    for name in (project, title):
        if name and text in squash(name):
            return ""  # the project itself, named in full
    return text


def named_project(label: str, project: str | None, title: str) -> bool:
    """The label names the project itself (its name, or most of it)."""
    return any(name and len(squash(name)) >= _MIN_SUBJECT and squash(name).removesuffix("项目") in label for name in (project, title))


def _kind(label: str) -> tuple[str, int, int] | None:
    for kind, pattern in KIND_WORDS:
        match = pattern.search(label)
        if match:
            return kind, match.start(), match.end()
    return None


def find_amounts(doc: ReportDoc, tables: tuple[FundTable, ...] = ()) -> list[Amount]:
    """Every contract / payment / allocation / sub-project amount in the paragraphs, and in the fund-table rows."""
    project, title = doc.doc.meta.project, doc.title
    found: list[Amount] = []
    for segment in doc.segments:
        if segment.kind != "paragraph":
            continue
        text = segment.text
        numbers = find_numbers(text)
        subjects: tuple[int, set[str]] = (-1, set())  # the subjects named so far in the current sentence
        for number in numbers:
            if number.role != "quantity" or number.measure != "money":
                continue
            label = label_before(text, number.start)
            if fund_key(label, project) is not None or "结余" in label or "比例" in label or _PART.search(label):
                continue
            kind = _kind(label)
            if kind is None:
                continue
            sentence_start = max(text.rfind(mark, 0, number.start) for mark in "。；;\n") + 1
            subject = _subject(label, kind[1], kind[2], project, title)
            if subjects[0] != sentence_start:
                subjects = (sentence_start, set())
            if subject:
                subjects[1].add(subject)
            elif len(subjects[1]) == 1 and "分别" not in label:
                subject = next(iter(subjects[1]))  # 预算金额286万元，中标金额261.9万元，目前支付209.56万元: one subject
            dates = [n for n in numbers if n.role in ("date", "year") and sentence_start <= n.start and n.end <= number.start]
            when = dates[-1].date if dates else None
            if not subject and (when is None or not (kind[0] == "allocated" or _WHOLE.search(label) or named_project(label, project, title))):
                continue  # an amount of nothing named (2023年支付…): a sub-project's, or too vague to compare
            if subject and (len(subject) < _MIN_SUBJECT or re.search(r"\d|%", subject)):
                continue
            found.append(Amount(kind[0], subject, tuple(when) if when else None, number.base_value,
                                doc.place(segment, number.start, number.end), label))
    for table in tables:
        name_columns = [c for c in table.columns if c.role == "name"]
        if not name_columns:
            continue
        for row in table.rows:
            if len(row.name) < _MIN_SUBJECT:
                continue
            for column in table.columns:
                table_kind = _TABLE_KINDS.get(column.role)
                cell = row.cells.get(column.index)
                if table_kind is None or cell is None or cell.value is None or not cell.written or column.year is not None:
                    continue
                if table_kind == "paid" and "累计" in column.header:
                    table_kind = "paid_total"
                found.append(Amount(table_kind, row.name, None, cell.value * table.scale, row.place, column.header, in_table=True))
    return found


def same_subject(a: str, b: str) -> bool:
    """Two subjects name the same thing: equal, or one (of at least 4 characters) inside the other."""
    if a == b:
        return True
    if not a or not b:
        return False
    short, long = sorted((a, b), key=len)
    return len(short) >= _MIN_SUBJECT and short in long
